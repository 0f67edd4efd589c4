// Who may post what (DESIGN §3, Access). A refusal is journaled like any rejection.
#include "engine/rules.h"

namespace kezek::rules {

bool RoleMayPost(fb::Role role, fb::ActionBody body) {
  switch (body) {
    case fb::ActionBody::FileApplication:
    case fb::ActionBody::Withdraw:
    case fb::ActionBody::AnswerInterest:
    case fb::ActionBody::ExtendVoucher:
    case fb::ActionBody::ChooseKindergarten:
    case fb::ActionBody::ParentSigns:
      return role == fb::Role::Portal;
    case fb::ActionBody::ConfirmDocuments:
    case fb::ActionBody::RejectDocuments:
      return role == fb::Role::PmpkSpecialist;
    case fb::ActionBody::SendContract:
    case fb::ActionBody::KindergartenSigns:
      return role == fb::Role::Kindergarten;
    case fb::ActionBody::AllocateVouchers:
    case fb::ActionBody::UpsertLocality:
    case fb::ActionBody::SetUtcOffset:
    case fb::ActionBody::UpsertKindergarten:
    case fb::ActionBody::UpsertGroup:
    case fb::ActionBody::UpdateCalendar:
    case fb::ActionBody::SetPriorityPolicy:
    case fb::ActionBody::ArchiveChild:
    case fb::ActionBody::SetMessageTemplates:
      return role == fb::Role::EducationDepartment;
    case fb::ActionBody::ClockTick:
      return role == fb::Role::System;
    case fb::ActionBody::NONE:
      return false;
  }
  return false;
}

std::optional<uint64_t> ApplicationNamed(const fb::Action& action) {
  if (action.body() == nullptr) return std::nullopt;
  switch (action.body_type()) {
    case fb::ActionBody::ConfirmDocuments: return action.body_as_ConfirmDocuments()->application();
    case fb::ActionBody::RejectDocuments: return action.body_as_RejectDocuments()->application();
    case fb::ActionBody::Withdraw: return action.body_as_Withdraw()->application();
    case fb::ActionBody::AnswerInterest: return action.body_as_AnswerInterest()->application();
    case fb::ActionBody::ExtendVoucher: return action.body_as_ExtendVoucher()->application();
    case fb::ActionBody::ChooseKindergarten: return action.body_as_ChooseKindergarten()->application();
    case fb::ActionBody::SendContract: return action.body_as_SendContract()->application();
    case fb::ActionBody::ParentSigns: return action.body_as_ParentSigns()->application();
    case fb::ActionBody::KindergartenSigns: return action.body_as_KindergartenSigns()->application();
    case fb::ActionBody::NONE:
    case fb::ActionBody::FileApplication:
    case fb::ActionBody::AllocateVouchers:
    case fb::ActionBody::UpsertLocality:
    case fb::ActionBody::SetUtcOffset:
    case fb::ActionBody::UpsertKindergarten:
    case fb::ActionBody::UpsertGroup:
    case fb::ActionBody::UpdateCalendar:
    case fb::ActionBody::SetPriorityPolicy:
    case fb::ActionBody::ArchiveChild:
    case fb::ActionBody::SetMessageTemplates:
    case fb::ActionBody::ClockTick:
      break;
  }
  return std::nullopt;
}

}  // namespace kezek::rules
