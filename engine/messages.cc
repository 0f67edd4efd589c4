#include "engine/messages.h"

#include <fmt/format.h>

#include "engine/civil_time.h"

namespace kezek::messages {

Text ApplicationAccepted(uint64_t position) {
  return {fmt::format("Ваша заявка принята. Место в очереди {}", position),
          fmt::format("Өтінішіңіз қабылданды. Кезектегі орныңыз: {}", position)};
}

Text AwaitingDocuments() {
  return {"Ожидание подтверждения документов", "Құжаттардың расталуы күтілуде"};
}

Text DocumentsConfirmed(uint64_t position) {
  return {fmt::format("Ваша заявка на получение ваучера подтверждена. Место в очереди: {}", position),
          fmt::format("Ваучер алуға берілген өтінішіңіз расталды. Кезектегі орныңыз: {}", position)};
}

Text DocumentsRejected(std::string_view specialist_name) {
  return {fmt::format("Ваша заявка на получение ваучера отклонена сотрудником: {}", specialist_name),
          fmt::format("Ваучер алуға берілген өтінішіңізді қызметкер қабылдамады: {}", specialist_name)};
}

Text VoucherIssued(std::string_view child_name, LocalDate deadline) {
  const std::string date = civil::FormatDotted(deadline);
  return {fmt::format("Ребенку {} выдан ваучер. Подтвердите заинтересованность до {}", child_name, date),
          fmt::format("{} атты балаға ваучер берілді. {} дейін келісіміңізді растаңыз", child_name, date)};
}

Text InterestConfirmed(LocalDate deadline) {
  const std::string date = civil::FormatDotted(deadline);
  return {fmt::format("Заинтересованность подтверждена. Выберите детский сад и заключите договор до {}", date),
          fmt::format("Келісім расталды. {} дейін балабақшаны таңдап, келісімшарт жасасыңыз", date)};
}

Text ExtensionGranted(LocalDate deadline) {
  const std::string date = civil::FormatDotted(deadline);
  return {fmt::format("Срок действия ваучера продлен до {}", date),
          fmt::format("Ваучердің қолданылу мерзімі {} дейін ұзартылды", date)};
}

Text AwaitingContract() { return {"Ожидайте договор от ДО", "МДҰ-дан келісімшартты күтіңіз"}; }

Text ContractSent(LocalDate deadline) {
  const std::string date = civil::FormatDotted(deadline);
  return {fmt::format("Подпишите договор в течение 5 рабочих дней (до {})", date),
          fmt::format("Келісімшартқа 5 жұмыс күні ішінде ({} дейін) қол қойыңыз", date)};
}

Text Enrolled(std::string_view kindergarten_name_ru, std::string_view kindergarten_name_kk) {
  return {fmt::format("Ребенок зачислен в ДО «{}»", kindergarten_name_ru),
          fmt::format("Бала «{}» МДҰ-ға қабылданды", kindergarten_name_kk)};
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
  return {fmt::format("Заявление перемещено в стоп-лист. Возврат в очередь {}", date),
          fmt::format("Өтініш стоп-лиске ауыстырылды. Кезекке қайту күні: {}", date)};
}

Text ReturnedToQueue(uint64_t position) {
  return {fmt::format("Заявление возвращено в очередь. Место в очереди: {}", position),
          fmt::format("Өтініш кезекке қайтарылды. Кезектегі орныңыз: {}", position)};
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
