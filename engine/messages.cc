#include "engine/messages.h"

#include <algorithm>
#include <charconv>
#include <span>

#include "engine/assert.h"
#include "engine/civil_time.h"

namespace kezek::messages {
namespace {

// `pattern` with each "{}" replaced by the next of `args`, appended to *out (by hand: the engine
// writes two of these for most actions, with no format-string parsing on the fold's path).
void Fill(std::string_view pattern, std::span<const Message::Arg> args, std::string* out) {
  size_t next = 0;
  for (size_t at = 0;;) {
    const size_t hole = pattern.find("{}", at);
    if (hole == std::string_view::npos) {
      out->append(pattern.substr(at));
      break;
    }
    KEZEK_ASSERT(next < args.size());
    out->append(pattern.substr(at, hole - at));
    const Message::Arg& arg = args[next++];
    switch (arg.kind) {
      case Message::Arg::Kind::Text:
        out->append(arg.text);
        break;
      case Message::Arg::Kind::Number: {
        char digits[20];
        out->append(digits, static_cast<size_t>(std::to_chars(digits, digits + sizeof digits, arg.number).ptr - digits));
        break;
      }
      case Message::Arg::Kind::Date:
        out->append(civil::FormatDotted(LocalDate{static_cast<int32_t>(static_cast<int64_t>(arg.number))}));
        break;
    }
    at = hole + 2;
  }
  KEZEK_ASSERT(next == args.size());
}

}  // namespace

Message::Message(std::string_view ru, std::string_view kk, std::initializer_list<Arg> args) : Message(ru, kk, args, args) {}

Message::Message(std::string_view ru, std::string_view kk, std::initializer_list<Arg> args,
                 std::initializer_list<Arg> kk_args)
    : ru_(ru), kk_(kk), count_(args.size()), kk_count_(kk_args.size()) {
  KEZEK_ASSERT(args.size() <= kArgsMax && kk_args.size() <= kArgsMax);
  std::copy(args.begin(), args.end(), args_.begin());
  std::copy(kk_args.begin(), kk_args.end(), kk_args_.begin());
}

void Message::Render(std::string* ru, std::string* kk) const {
  ru->clear();
  kk->clear();
  Fill(ru_, std::span(args_).first(count_), ru);
  Fill(kk_, std::span(kk_args_).first(kk_count_), kk);
}

Message::operator Text() const {
  Text text;
  Render(&text.ru, &text.kk);
  return text;
}

Message Message::With(std::string_view ru, std::string_view kk) const {
  KEZEK_ASSERT(Holes(ru) == count_ && Holes(kk) == kk_count_);
  Message m = *this;
  m.ru_ = ru;
  m.kk_ = kk;
  return m;
}

Args Message::Arguments() const {
  Args out;
  out.variant = variant_;
  const auto take = [&out](const Arg& arg, bool kazakh) {
    switch (arg.kind) {
      case Arg::Kind::Text:
        (kazakh ? out.name_kk : out.name) = arg.text;
        break;
      case Arg::Kind::Number:
        out.number = arg.number;
        break;
      case Arg::Kind::Date:
        out.date = LocalDate{static_cast<int32_t>(static_cast<int64_t>(arg.number))};
        break;
    }
  };
  for (size_t i = 0; i < count_; ++i) take(args_[i], false);
  // The Kazakh text's own name, where it has one (Enrolled): kept only where it differs.
  for (size_t i = 0; i < kk_count_; ++i) {
    if (kk_args_[i].kind == Arg::Kind::Text && kk_args_[i].text != out.name) take(kk_args_[i], true);
  }
  return out;
}

Message ApplicationAccepted(uint64_t position) {
  return Message("Ваша заявка принята. Место в очереди {}",
                 "Өтінішіңіз қабылданды. Кезектегі орныңыз: {}", {position});
}

Message AwaitingDocuments() {
  return {"Ожидание подтверждения документов", "Құжаттардың расталуы күтілуде"};
}

Message DocumentsConfirmed(uint64_t position) {
  return Message("Ваша заявка на получение ваучера подтверждена. Место в очереди: {}",
                 "Ваучер алуға берілген өтінішіңіз расталды. Кезектегі орныңыз: {}", {position});
}

Message DocumentsRejected(std::string_view specialist_name) {
  return Message("Ваша заявка на получение ваучера отклонена сотрудником: {}",
                 "Ваучер алуға берілген өтінішіңізді қызметкер қабылдамады: {}", {specialist_name});
}

Message VoucherIssued(std::string_view child_name, LocalDate deadline) {
  return Message("Ребенку {} выдан ваучер. Подтвердите заинтересованность до {}",
                 "{} атты балаға ваучер берілді. {} дейін келісіміңізді растаңыз", {child_name, deadline});
}

Message InterestConfirmed(LocalDate deadline) {
  return Message("Заинтересованность подтверждена. Выберите детский сад и заключите договор до {}",
                 "Келісім расталды. {} дейін балабақшаны таңдап, келісімшарт жасасыңыз", {deadline});
}

Message ExtensionGranted(LocalDate deadline) {
  return Message("Срок действия ваучера продлен до {}",
                 "Ваучердің қолданылу мерзімі {} дейін ұзартылды", {deadline});
}

Message AwaitingContract() { return {"Ожидайте договор от ДО", "МДҰ-дан келісімшартты күтіңіз"}; }

Message ContractSent(LocalDate deadline) {
  return Message("Подпишите договор в течение 5 рабочих дней (до {})",
                 "Келісімшартқа 5 жұмыс күні ішінде ({} дейін) қол қойыңыз", {deadline});
}

Message Enrolled(std::string_view kindergarten_name_ru, std::string_view kindergarten_name_kk) {
  return Message("Ребенок зачислен в ДО «{}»",
                 "Бала «{}» МДҰ-ға қабылданды", {kindergarten_name_ru}, {kindergarten_name_kk});
}

namespace {

Message Annulled(fb::AnnulReason reason) {
  switch (reason) {
    case fb::AnnulReason::Declined:
      return {"Ваучер аннулирован: вы отказались от ваучера",
              "Ваучер жойылды: сіз ваучерден бас тарттыңыз"};
    case fb::AnnulReason::InterestNotConfirmed:
      return {"Ваучер аннулирован: заинтересованность не подтверждена в срок",
              "Ваучер жойылды: келісім мерзімінде расталмады"};
    case fb::AnnulReason::NotEnrolledInTime:
      return {"Ваучер аннулирован: зачисление не завершено в срок",
              "Ваучер жойылды: қабылдау мерзімінде аяқталмады"};
    case fb::AnnulReason::Withdrawn:
      return {"Ваучер аннулирован: заявка отозвана", "Ваучер жойылды: өтініш кері қайтарылды"};
    case fb::AnnulReason::SchoolAge:
      return {"Ваучер аннулирован: ребенок достиг школьного возраста",
              "Ваучер жойылды: бала мектеп жасына толды"};
  }
  return {"", ""};
}

}  // namespace

Message VoucherAnnulled(fb::AnnulReason reason) { return Annulled(reason).set_variant(static_cast<uint8_t>(reason)); }

Message StopListed(LocalDate return_date) {
  return Message("Заявление перемещено в стоп-лист. Возврат в очередь {}",
                 "Өтініш стоп-лиске ауыстырылды. Кезекке қайту күні: {}", {return_date});
}

Message ReturnedToQueue(uint64_t position) {
  return Message("Заявление возвращено в очередь. Место в очереди: {}",
                 "Өтініш кезекке қайтарылды. Кезектегі орныңыз: {}", {position});
}

namespace {

Message ArchivedFor(fb::ArchiveReason reason) {
  switch (reason) {
    case fb::ArchiveReason::DocumentsRejected:
      return {"Заявка попадает в архив: документы отклонены", "Өтініш мұрағатқа жіберілді: құжаттар қабылданбады"};
    case fb::ArchiveReason::Declined:
      return {"Заявление архивировано: вы отказались от ваучера. Чтобы получить ваучер, встаньте в очередь снова",
              "Өтініш мұрағатқа жіберілді: сіз ваучерден бас тарттыңыз. Ваучер алу үшін кезекке қайта тұрыңыз"};
    case fb::ArchiveReason::NotEnrolledInTime:
      return {"Заявление перемещено в архив: зачисление не завершено в установленные сроки",
              "Өтініш мұрағатқа жіберілді: қабылдау белгіленген мерзімде аяқталмады"};
    case fb::ArchiveReason::Enrolled:
      return {"Заявление перемещено в архив: ребенок зачислен", "Өтініш мұрағатқа жіберілді: бала қабылданды"};
    case fb::ArchiveReason::Withdrawn:
      return {"Заявление перемещено в архив: заявка отозвана", "Өтініш мұрағатқа жіберілді: өтініш кері қайтарылды"};
    case fb::ArchiveReason::SchoolAge:
      return {"Заявление перемещено в архив: ребенок достиг школьного возраста",
              "Өтініш мұрағатқа жіберілді: бала мектеп жасына толды"};
  }
  return {"", ""};
}

}  // namespace

Message Archived(fb::ArchiveReason reason) { return ArchivedFor(reason).set_variant(static_cast<uint8_t>(reason)); }

// --- templates -----------------------------------------------------------------------------------

namespace {

constexpr auto kKeys = [] {
  std::array<Key, 14 - 2 + 5 + 6> keys{};
  size_t n = 0;
  for (auto kind = static_cast<uint8_t>(fb::NotificationKind::MIN); kind <= static_cast<uint8_t>(fb::NotificationKind::MAX);
       ++kind) {
    const auto k = static_cast<fb::NotificationKind>(kind);
    const uint8_t variants = k == fb::NotificationKind::VoucherAnnulled ? static_cast<uint8_t>(fb::AnnulReason::MAX) + 1
                             : k == fb::NotificationKind::Archived     ? static_cast<uint8_t>(fb::ArchiveReason::MAX) + 1
                                                                       : 1;
    for (uint8_t v = 0; v < variants; ++v) keys[n++] = Key{k, v};
  }
  return keys;
}();
static_assert(kKeys.back().kind == fb::NotificationKind::MAX, "every kind has its keys");

}  // namespace

std::span<const Key> Keys() { return kKeys; }

std::optional<size_t> KeyIndex(fb::NotificationKind kind, uint8_t variant) {
  for (size_t i = 0; i < kKeys.size(); ++i) {
    if (kKeys[i].kind == kind && kKeys[i].variant == variant) return i;
  }
  return std::nullopt;
}

Message Compose(fb::NotificationKind kind, const Args& a) {
  switch (kind) {
    case fb::NotificationKind::ApplicationAccepted: return ApplicationAccepted(a.number);
    case fb::NotificationKind::AwaitingDocuments: return AwaitingDocuments();
    case fb::NotificationKind::DocumentsConfirmed: return DocumentsConfirmed(a.number);
    case fb::NotificationKind::DocumentsRejected: return DocumentsRejected(a.name);
    case fb::NotificationKind::VoucherIssued: return VoucherIssued(a.name, a.date);
    case fb::NotificationKind::AwaitingContract: return AwaitingContract();
    case fb::NotificationKind::ContractSent: return ContractSent(a.date);
    case fb::NotificationKind::Enrolled: return Enrolled(a.name, a.name_kk.empty() ? a.name : a.name_kk);
    case fb::NotificationKind::VoucherAnnulled: return VoucherAnnulled(static_cast<fb::AnnulReason>(a.variant));
    case fb::NotificationKind::StopListed: return StopListed(a.date);
    case fb::NotificationKind::ReturnedToQueue: return ReturnedToQueue(a.number);
    case fb::NotificationKind::Archived: return Archived(static_cast<fb::ArchiveReason>(a.variant));
    case fb::NotificationKind::ExtensionGranted: return ExtensionGranted(a.date);
    case fb::NotificationKind::InterestConfirmed: return InterestConfirmed(a.date);
  }
  return {"", ""};
}

fb::SetMessageTemplatesT BuiltInTemplates() {
  fb::SetMessageTemplatesT posting;
  for (const Key& key : kKeys) {
    const Message own = Compose(key.kind, Args{.variant = key.variant, .number = 0, .date = {}, .name = {}, .name_kk = {}});
    auto t = std::make_unique<fb::MessageTemplateT>();
    t->kind = key.kind;
    t->variant = key.variant;
    t->ru = std::string(own.ru_pattern());
    t->kk = std::string(own.kk_pattern());
    posting.templates.push_back(std::move(t));
  }
  return posting;
}

size_t Holes(std::string_view pattern) {
  size_t n = 0;
  for (size_t at = pattern.find("{}"); at != std::string_view::npos; at = pattern.find("{}", at + 2)) ++n;
  return n;
}

uint32_t TemplateBook::Post(const fb::SetMessageTemplates& posting) {
  std::vector<Text> patterns(kKeys.size());
  for (const fb::MessageTemplate* t : *posting.templates()) {
    const std::optional<size_t> index = KeyIndex(t->kind(), t->variant());
    KEZEK_ASSERT(index.has_value());
    patterns[*index] = Text{t->ru()->str(), t->kk()->str()};
  }
  KEZEK_ASSERT(Add(std::move(patterns)));
  return latest();
}

HoleCount OwnHoles(const Key& key) {
  const Message own = Compose(key.kind, Args{.variant = key.variant, .number = 0, .date = {}, .name = {}, .name_kk = {}});
  return {own.ru_args(), own.kk_args()};
}

bool TemplateBook::Add(std::vector<Text> patterns) {
  if (patterns.size() != kKeys.size()) return false;
  for (size_t i = 0; i < kKeys.size(); ++i) {
    const HoleCount own = OwnHoles(kKeys[i]);
    if (Holes(patterns[i].ru) != own.ru || Holes(patterns[i].kk) != own.kk) return false;
  }
  versions_.push_back(std::move(patterns));
  return true;
}

Message TemplateBook::Reword(uint32_t version, fb::NotificationKind kind, const Message& message) const {
  if (version == 0 || version > versions_.size()) return message;
  const std::optional<size_t> index = KeyIndex(kind, message.variant());
  KEZEK_ASSERT(index.has_value());
  const Text& p = versions_[version - 1][*index];
  return message.With(p.ru, p.kk);
}

Text TemplateBook::Words(uint32_t version, fb::NotificationKind kind, const Args& args) const {
  return Reword(version, kind, Compose(kind, args));
}

Args ArgsOf(const fb::Notification& n) {
  Args args;
  args.variant = n.variant();
  args.number = n.number();
  args.date = LocalDate{n.date()};
  if (n.name()) args.name = n.name()->string_view();
  if (n.name_kk()) args.name_kk = n.name_kk()->string_view();
  return args;
}

Text TemplateBook::TextOf(const fb::Notification& n) const {
  if (n.templates() == 0) {
    return Text{n.text_ru() ? n.text_ru()->str() : std::string{}, n.text_kk() ? n.text_kk()->str() : std::string{}};
  }
  return Words(n.templates(), n.kind(), ArgsOf(n));
}

}  // namespace kezek::messages
