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

Message VoucherAnnulled(fb::AnnulReason reason) {
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

Message StopListed(LocalDate return_date) {
  return Message("Заявление перемещено в стоп-лист. Возврат в очередь {}",
                 "Өтініш стоп-лиске ауыстырылды. Кезекке қайту күні: {}", {return_date});
}

Message ReturnedToQueue(uint64_t position) {
  return Message("Заявление возвращено в очередь. Место в очереди: {}",
                 "Өтініш кезекке қайтарылды. Кезектегі орныңыз: {}", {position});
}

Message Archived(fb::ArchiveReason reason) {
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

}  // namespace kezek::messages
