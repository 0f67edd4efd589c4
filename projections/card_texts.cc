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

}  // namespace kezek::projections::card_texts
