#include "engine/messages.h"

#include <charconv>
#include <initializer_list>

#include "engine/assert.h"
#include "engine/civil_time.h"

namespace kezek::messages {
namespace {

// A text of the catalogue with each "{}" replaced by the next argument, in one allocation (the
// engine writes two of these for most actions: no format-string parsing on the fold's path).
std::string Fill(std::string_view pattern, std::initializer_list<std::string_view> args) {
  size_t size = pattern.size();
  for (const std::string_view arg : args) size += arg.size();
  std::string out;
  out.reserve(size);
  const std::string_view* arg = args.begin();
  for (size_t at = 0;;) {
    const size_t hole = pattern.find("{}", at);
    if (hole == std::string_view::npos) {
      out.append(pattern.substr(at));
      break;
    }
    KEZEK_ASSERT(arg != args.end());
    out.append(pattern.substr(at, hole - at)).append(*arg++);
    at = hole + 2;
  }
  KEZEK_ASSERT(arg == args.end());
  return out;
}

// A number's decimal digits, on the stack.
struct Digits {
  explicit Digits(uint64_t value) { size = static_cast<size_t>(std::to_chars(text, text + sizeof text, value).ptr - text); }
  operator std::string_view() const { return {text, size}; }
  char text[20];
  size_t size = 0;
};

}  // namespace

Text ApplicationAccepted(uint64_t position) {
  return {Fill("Ваша заявка принята. Место в очереди {}", {Digits(position)}),
          Fill("Өтінішіңіз қабылданды. Кезектегі орныңыз: {}", {Digits(position)})};
}

Text AwaitingDocuments() {
  return {"Ожидание подтверждения документов", "Құжаттардың расталуы күтілуде"};
}

Text DocumentsConfirmed(uint64_t position) {
  return {Fill("Ваша заявка на получение ваучера подтверждена. Место в очереди: {}", {Digits(position)}),
          Fill("Ваучер алуға берілген өтінішіңіз расталды. Кезектегі орныңыз: {}", {Digits(position)})};
}

Text DocumentsRejected(std::string_view specialist_name) {
  return {Fill("Ваша заявка на получение ваучера отклонена сотрудником: {}", {specialist_name}),
          Fill("Ваучер алуға берілген өтінішіңізді қызметкер қабылдамады: {}", {specialist_name})};
}

Text VoucherIssued(std::string_view child_name, LocalDate deadline) {
  const std::string date = civil::FormatDotted(deadline);
  return {Fill("Ребенку {} выдан ваучер. Подтвердите заинтересованность до {}", {child_name, date}),
          Fill("{} атты балаға ваучер берілді. {} дейін келісіміңізді растаңыз", {child_name, date})};
}

Text InterestConfirmed(LocalDate deadline) {
  const std::string date = civil::FormatDotted(deadline);
  return {Fill("Заинтересованность подтверждена. Выберите детский сад и заключите договор до {}", {date}),
          Fill("Келісім расталды. {} дейін балабақшаны таңдап, келісімшарт жасасыңыз", {date})};
}

Text ExtensionGranted(LocalDate deadline) {
  const std::string date = civil::FormatDotted(deadline);
  return {Fill("Срок действия ваучера продлен до {}", {date}),
          Fill("Ваучердің қолданылу мерзімі {} дейін ұзартылды", {date})};
}

Text AwaitingContract() { return {"Ожидайте договор от ДО", "МДҰ-дан келісімшартты күтіңіз"}; }

Text ContractSent(LocalDate deadline) {
  const std::string date = civil::FormatDotted(deadline);
  return {Fill("Подпишите договор в течение 5 рабочих дней (до {})", {date}),
          Fill("Келісімшартқа 5 жұмыс күні ішінде ({} дейін) қол қойыңыз", {date})};
}

Text Enrolled(std::string_view kindergarten_name_ru, std::string_view kindergarten_name_kk) {
  return {Fill("Ребенок зачислен в ДО «{}»", {kindergarten_name_ru}),
          Fill("Бала «{}» МДҰ-ға қабылданды", {kindergarten_name_kk})};
}

Text VoucherAnnulled(fb::AnnulReason reason) {
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

Text StopListed(LocalDate return_date) {
  const std::string date = civil::FormatDotted(return_date);
  return {Fill("Заявление перемещено в стоп-лист. Возврат в очередь {}", {date}),
          Fill("Өтініш стоп-лиске ауыстырылды. Кезекке қайту күні: {}", {date})};
}

Text ReturnedToQueue(uint64_t position) {
  return {Fill("Заявление возвращено в очередь. Место в очереди: {}", {Digits(position)}),
          Fill("Өтініш кезекке қайтарылды. Кезектегі орныңыз: {}", {Digits(position)})};
}

Text Archived(fb::ArchiveReason reason) {
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
