#include "benchmarks/decision_words.h"

#include <fmt/format.h>

#include "engine/schemas_fwd.h"

namespace kezek::bench {

void RecordWords(const fb::JournalRecord& record, Words* out, std::vector<uint64_t>* input_of_sequence) {
  input_of_sequence->push_back(record.input_offset());
  if (record.part() == 0) {  // the envelope once per input; every part repeats it
    out->push_back(static_cast<uint64_t>(record.outcome()));
    out->push_back(record.rejection() ? static_cast<uint64_t>(record.rejection()->code()) : 0);
    // A repeat names its original by input: the journal's sequences count parts (DESIGN §5), a
    // baseline writing one row an input does not.
    const uint64_t original = record.duplicate_of();
    out->push_back(record.outcome() == fb::Outcome::Duplicate && original < input_of_sequence->size()
                       ? (*input_of_sequence)[original]
                       : original);
  }
  if (record.decisions() == nullptr) return;
  for (const fb::Decision* d : *record.decisions()) {
    // Each decision: its tag, its number of fields, the fields.
    const auto add = [out, d](auto... words) {
      out->push_back(static_cast<uint64_t>(d->body_type()));
      out->push_back(sizeof...(words));
      (out->push_back(static_cast<uint64_t>(words)), ...);
    };
    switch (d->body_type()) {
      case fb::DecisionBody::ApplicationAccepted: {
        const auto* b = d->body_as_ApplicationAccepted();
        add(b->application(), b->queue_type(), b->filed_at_ms(), b->stamped_ms());
        break;
      }
      case fb::DecisionBody::AwaitingDocuments: add(d->body_as_AwaitingDocuments()->application()); break;
      case fb::DecisionBody::EnteredQueue: {
        const auto* b = d->body_as_EnteredQueue();
        add(b->application(), b->position());
        break;
      }
      case fb::DecisionBody::DocumentsRejected: add(d->body_as_DocumentsRejected()->application()); break;
      case fb::DecisionBody::VoucherIssued: {
        const auto* b = d->body_as_VoucherIssued();
        add(b->application(), b->voucher(), b->deadline_ms(), b->deadline_date());
        break;
      }
      case fb::DecisionBody::InterestConfirmed: {
        const auto* b = d->body_as_InterestConfirmed();
        add(b->application(), b->voucher(), b->deadline_ms(), b->deadline_date());
        break;
      }
      case fb::DecisionBody::ExtensionGranted: {
        const auto* b = d->body_as_ExtensionGranted();
        add(b->application(), b->deadline_ms(), b->deadline_date());
        break;
      }
      case fb::DecisionBody::EnrollmentRequested: {
        const auto* b = d->body_as_EnrollmentRequested();
        add(b->application(), b->kindergarten(), b->group());
        break;
      }
      case fb::DecisionBody::ContractSent: {
        const auto* b = d->body_as_ContractSent();
        add(b->application(), b->deadline_ms(), b->deadline_date());
        break;
      }
      case fb::DecisionBody::ParentSigned: {
        const auto* b = d->body_as_ParentSigned();
        add(b->application(), b->deadline_ms(), b->deadline_date());
        break;
      }
      case fb::DecisionBody::EnrollmentRequestLapsed: {
        const auto* b = d->body_as_EnrollmentRequestLapsed();
        add(b->application(), b->deadline_ms(), b->deadline_date());
        break;
      }
      case fb::DecisionBody::Enrolled: {
        const auto* b = d->body_as_Enrolled();
        add(b->application(), b->kindergarten(), b->group(), b->voucher());
        break;
      }
      case fb::DecisionBody::VoucherAnnulled: {
        const auto* b = d->body_as_VoucherAnnulled();
        add(b->application(), b->voucher(), b->reason());
        break;
      }
      case fb::DecisionBody::DeadlineMoved: {
        const auto* b = d->body_as_DeadlineMoved();
        add(b->application(), b->deadline_ms(), b->deadline_date());
        break;
      }
      case fb::DecisionBody::PlaceFreed: {
        const auto* b = d->body_as_PlaceFreed();
        add(b->application(), b->kindergarten(), b->group());
        break;
      }
      case fb::DecisionBody::VouchersAllocated: {
        const auto* b = d->body_as_VouchersAllocated();
        add(b->locality(), b->queue_type(), b->birth_year(), b->first_voucher(), b->count());
        break;
      }
      case fb::DecisionBody::StopListed: {
        const auto* b = d->body_as_StopListed();
        add(b->application(), b->return_at_ms());
        break;
      }
      case fb::DecisionBody::ReturnedToQueue: {
        const auto* b = d->body_as_ReturnedToQueue();
        add(b->application(), b->position());
        break;
      }
      case fb::DecisionBody::Archived: {
        const auto* b = d->body_as_Archived();
        add(b->application(), b->reason());
        break;
      }
      case fb::DecisionBody::Notification: {
        const auto* b = d->body_as_Notification();
        add(b->application(), b->kind());
        break;
      }
      case fb::DecisionBody::MessageTemplatesSet:
        add(d->body_as_MessageTemplatesSet()->version());
        break;
      case fb::DecisionBody::NONE:
        add();
        break;
    }
  }
}

std::string DescribeWords(std::span<const uint64_t> words) {
  if (words.size() < 3) return "(truncated)";
  std::string text = fmt::format("outcome {} code {} duplicate_of {}", words[0], words[1], words[2]);
  for (size_t i = 3; i + 1 < words.size();) {
    const auto tag = static_cast<fb::DecisionBody>(words[i]);
    const uint64_t n = words[i + 1];
    text += fmt::format("; {}", fb::EnumNameDecisionBody(tag));
    for (uint64_t k = 0; k < n && i + 2 + k < words.size(); ++k) text += fmt::format(" {}", words[i + 2 + k]);
    i += 2 + n;
  }
  return text;
}

void DecisionTally::Add(std::span<const uint64_t> words) {
  ++inputs;
  if (!words.empty() && words[0] < outcomes.size()) ++outcomes[words[0]];
  for (size_t i = 3; i + 1 < words.size(); i += 2 + words[i + 1]) {
    if (words[i] < decisions.size()) ++decisions[words[i]];
  }
  for (const uint64_t w : words) digest = (digest ^ w) * 0x100000001B3ull + 0x9E3779B97F4A7C15ull;
}

}  // namespace kezek::bench
