#include "projections/card_texts.h"

#include <fmt/format.h>

namespace kezek::projections::card_texts {

messages::Text Status(fb::ApplicationStatus status) {
  switch (status) {
    case fb::ApplicationStatus::AwaitingDocuments:
      return {"Ожидание подтверждения документов", "Құжаттардың расталуы күтілуде"};
    case fb::ApplicationStatus::InQueue:
      return {"В очереди", "Кезекте"};
    case fb::ApplicationStatus::VoucherIssued:
      return {"Ваучер выдан. Подтвердите заинтересованность", "Ваучер берілді. Келісіміңізді растаңыз"};
    case fb::ApplicationStatus::VoucherInUse:
      return {"Ваучер используется", "Ваучер пайдаланылуда"};
    case fb::ApplicationStatus::AwaitingContract:
      return {"Ожидайте договор от ДО", "МДҰ-дан келісімшартты күтіңіз"};
    case fb::ApplicationStatus::ContractSent:
      return {"Подпишите договор", "Келісімшартқа қол қойыңыз"};
    case fb::ApplicationStatus::ParentSigned:
      return {"Ожидайте подписания договора ДО", "МДҰ-ның келісімшартқа қол қоюын күтіңіз"};
    case fb::ApplicationStatus::StopListed:
      return {"Стоп-лист", "Стоп-лист"};
    case fb::ApplicationStatus::Archived:
      return {"В архиве", "Мұрағатта"};
  }
  return {"", ""};
}

messages::Text Notice(fb::ApplicationStatus status, std::string_view child_name, std::string_view deadline_date) {
  if (status != fb::ApplicationStatus::VoucherIssued) return {"", ""};
  return {fmt::format("Ребенку {} выдан ваучер. Вам необходимо подтвердить свою заинтересованность в получении "
                      "ваучера. Срок на подтверждение до {}", child_name, deadline_date),
          fmt::format("{} атты балаға ваучер берілді. Ваучер алуға келісіміңізді растауыңыз қажет. Растау мерзімі: {} "
                      "дейін", child_name, deadline_date)};
}

messages::Text QueueType(fb::QueueType type) {
  switch (type) {
    case fb::QueueType::General:
      return {"Общеобразовательная очередь", "Жалпы білім беретін кезек"};
    case fb::QueueType::Special:
      return {"Специальная очередь", "Арнайы кезек"};
  }
  return {"", ""};
}

messages::Text Language(fb::Language language) {
  switch (language) {
    case fb::Language::Kk:
      return {"Казахский", "Қазақ тілі"};
    case fb::Language::Ru:
      return {"Русский", "Орыс тілі"};
  }
  return {"", ""};
}

messages::Text Financing(fb::Financing financing) {
  switch (financing) {
    case fb::Financing::VirtualVoucher:
      return {"Виртуальный ваучер", "Виртуалды ваучер"};
  }
  return {"", ""};
}

messages::Text StepName(fb::StatusStep step) {
  switch (step) {
    case fb::StatusStep::Queue:
      return {"Очередь", "Кезекте"};
    case fb::StatusStep::Voucher:
      return {"Ваучер", "Ваучер"};
    case fb::StatusStep::KindergartenChoice:
      return {"Выбор сада", "Балабақша таңдау"};
    case fb::StatusStep::Financing:
      return {"Тип финансирования", "Қаржыландыру түрі"};
    case fb::StatusStep::Enrollment:
      return {"Зачисление", "Қабылдау"};
  }
  return {"", ""};
}

messages::Text StepText(fb::StatusStep step, fb::StepState state, fb::ApplicationStatus status,
                        std::string_view kindergarten_ru, std::string_view kindergarten_kk) {
  if (state == fb::StepState::Pending) return {"", ""};
  const bool done = state == fb::StepState::Done;
  const bool stopped = state == fb::StepState::Stopped;
  switch (step) {
    case fb::StatusStep::Queue:
      // seed: the queue step of a card whose voucher is in use shows «В архиве».
      if (done || stopped) return {"В архиве", "Мұрағатта"};
      return Status(status);
    case fb::StatusStep::Voucher:
      if (done) return {"Ваучер используется", "Ваучер пайдаланылуда"};
      if (stopped) return {"Ваучер аннулирован", "Ваучер жойылды"};
      return {"Ваучер выдан", "Ваучер берілді"};
    case fb::StatusStep::KindergartenChoice:
      // seed: «Выбран 100 "Ботакы" или детский сад».
      if (done) return {fmt::format("Выбран {}", kindergarten_ru), fmt::format("Таңдалды: {}", kindergarten_kk)};
      if (stopped) return {"Детский сад не выбран", "Балабақша таңдалмады"};
      return {"Выберите детский сад", "Балабақшаны таңдаңыз"};
    case fb::StatusStep::Financing:
      // seed: «Ваучер Присвоен».
      if (stopped) return {"Ваучер аннулирован", "Ваучер жойылды"};
      return {"Ваучер присвоен", "Ваучер бекітілді"};
    case fb::StatusStep::Enrollment:
      if (done) return {"Зачислен", "Қабылданды"};
      if (stopped) return {"Не зачислен", "Қабылданбады"};
      return Status(status);
  }
  return {"", ""};
}

namespace {

// The Russian noun phrase for n of a cause: 1 (and 21, 31...), 2-4 (22-24...), or the rest.
std::string_view RussianCause(fb::PositionCause cause, uint64_t n) {
  const uint64_t last = n % 10, last_two = n % 100;
  const int form = last == 1 && last_two != 11 ? 0 : (last >= 2 && last <= 4 && (last_two < 12 || last_two > 14) ? 1 : 2);
  static constexpr std::string_view kForms[][3] = {
      {"заявка льготной категории", "заявки льготной категории", "заявок льготной категории"},
      {"заявка общей очереди", "заявки общей очереди", "заявок общей очереди"},
      {"возврат из стоп-листа", "возврата из стоп-листа", "возвратов из стоп-листа"},
      {"выданный ваучер", "выданных ваучера", "выданных ваучеров"},
      {"отзыв", "отзыва", "отзывов"},
      {"выбытие по возрасту", "выбытия по возрасту", "выбытий по возрасту"},
      {"выбытие из очереди", "выбытия из очереди", "выбытий из очереди"},
      {"изменение правил очерёдности", "изменения правил очерёдности", "изменений правил очерёдности"},
  };
  return kForms[static_cast<size_t>(cause)][form];
}

std::string_view KazakhCause(fb::PositionCause cause) {
  static constexpr std::string_view kPhrases[] = {
      "жеңілдікті санаттағы өтініш", "жалпы кезектегі өтініш", "стоп-листтен қайтарылған өтініш", "берілген ваучер",
      "кері алынған өтініш",         "мектеп жасына байланысты шығу", "кезектен шығу", "кезек тәртібі ережелерінің өзгеруі",
  };
  return kPhrases[static_cast<size_t>(cause)];
}

// "+3" / "−2" (a minus sign, not a hyphen).
std::string Signed(int64_t delta) {
  return delta < 0 ? fmt::format("−{}", -delta) : fmt::format("+{}", delta);
}

}  // namespace

messages::Text PositionChange(fb::PositionEvent event, std::optional<uint64_t> previous, uint64_t position,
                              std::span<const std::pair<fb::PositionCause, int64_t>> causes) {
  messages::Text t;
  if (!previous) {
    t.ru = fmt::format("Место в очереди: {}", position);
    t.kk = fmt::format("Кезектегі орныңыз: {}", position);
    if (event == fb::PositionEvent::ReturnedToQueue) {
      t.ru = "Возвращена из стоп-листа. " + t.ru;
      t.kk = "Стоп-листтен қайтарылды. " + t.kk;
    }
    return t;
  }
  const int64_t delta = static_cast<int64_t>(position) - static_cast<int64_t>(*previous);
  if (delta != 0) {
    t.ru = fmt::format("Место в очереди: {} → {} ({})", *previous, position, Signed(delta));
    t.kk = fmt::format("Кезектегі орныңыз: {} → {} ({})", *previous, position, Signed(delta));
    std::string ru, kk;
    for (const auto& [cause, moved] : causes) {
      if (moved == 0) continue;
      const uint64_t n = static_cast<uint64_t>(moved < 0 ? -moved : moved);
      if (cause == fb::PositionCause::PolicyChange) {  // one change of the rules, however far it moved the place
        ru += fmt::format("{}{} ({})", ru.empty() ? ": " : ", ", RussianCause(cause, 1), Signed(moved));
        kk += fmt::format("{}{} ({})", kk.empty() ? ": " : ", ", KazakhCause(cause), Signed(moved));
        continue;
      }
      ru += fmt::format("{}{} {}", ru.empty() ? ": " : ", ", Signed(moved), RussianCause(cause, n));
      kk += fmt::format("{}{} {}", kk.empty() ? ": " : ", ", Signed(moved), KazakhCause(cause));
    }
    t.ru += ru;
    t.kk += kk;
  }
  const auto then = [&](std::string_view ru, std::string_view kk) {
    t.ru += fmt::format("{}{}", t.ru.empty() ? "" : ". ", ru);
    t.kk += fmt::format("{}{}", t.kk.empty() ? "" : ". ", kk);
  };
  if (event == fb::PositionEvent::VoucherIssued) then("Выдан ваучер", "Ваучер берілді");
  if (event == fb::PositionEvent::LeftQueue) then("Заявка выбыла из очереди", "Өтініш кезектен шықты");
  if (event == fb::PositionEvent::PolicyReranked && delta == 0) then("Изменены правила очерёдности", "Кезек тәртібі ережелері өзгерді");
  return t;
}

}  // namespace kezek::projections::card_texts
