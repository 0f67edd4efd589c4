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
      return role == fb::Role::EducationDepartment;
    case fb::ActionBody::ClockTick:
      return role == fb::Role::System;
    case fb::ActionBody::NONE:
      return false;
  }
  return false;
}

}  // namespace kezek::rules
