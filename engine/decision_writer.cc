#include "engine/decision_writer.h"

#include <cstdint>

#include "engine/assert.h"
#include "engine/civil_time.h"
#include "engine/state.h"

namespace kezek {

void DecisionWriter::Clear() {
  first_.Clear();
  // Only the builders the last input used (parts 1.. use more_[0..]): the others stay clear, and
  // a history's one large allocation would otherwise have every later input touch its builders.
  for (size_t part = 1; part < parts_.size(); ++part) more_[part - 1].Clear();
  // Part 0's list of decisions keeps its capacity: no allocation per input.
  if (parts_.empty()) parts_.push_back(Part{&first_, {}});
  parts_.resize(1);
  parts_[0].decisions.clear();
  count_ = 0;
  full_ = false;
  decision_start_ = SIZE_MAX;
}

void DecisionWriter::set_bound(Bound bound) {
  KEZEK_ASSERT(bound.decisions_max > 0 && bound.bytes_max > 0);
  bound_ = bound;
}

flatbuffers::FlatBufferBuilder& DecisionWriter::builder() {
  if (full_) {
    full_ = false;
    const size_t index = parts_.size() - 1;  // of the builder among more_
    if (index == more_.size()) more_.emplace_back(4096);
    parts_.push_back(Part{&more_[index], {}});
  }
  Part& open = parts_.back();
  if (decision_start_ == SIZE_MAX) decision_start_ = open.builder->GetSize();
  return *open.builder;
}

void DecisionWriter::Add(fb::DecisionBody kind, flatbuffers::Offset<void> body) {
  Part& open = parts_.back();
  open.decisions.push_back(fb::CreateDecision(*open.builder, kind, body));
  ++count_;
  const size_t size = open.builder->GetSize();
  KEZEK_ASSERT(size - decision_start_ <= limits::kDecisionBytesMax);
  decision_start_ = SIZE_MAX;
  full_ = open.decisions.size() >= bound_.decisions_max || size >= bound_.bytes_max;
}

namespace {

// An IIN's text straight into the builder (no string in between).
flatbuffers::Offset<flatbuffers::String> CreateIin(flatbuffers::FlatBufferBuilder& builder, Iin iin) {
  if (iin.value >= kIinEnd) return builder.CreateString(FormatIin(iin));
  char text[12];
  WriteIin(iin, text);
  return builder.CreateString(text, sizeof text);
}

fb::QueueLine LineOf(Line line) { return line == Line::Priority ? fb::QueueLine::Priority : fb::QueueLine::General; }

}  // namespace

void DecisionWriter::ApplicationAccepted(const Application& app, InstantMs stamped) {
  const auto iin = CreateIin(builder(), app.child);
  Add(fb::CreateApplicationAccepted(builder(), app.id.value, iin, app.type, app.filed_at.value, stamped.value));
}

void DecisionWriter::AwaitingDocuments(const Application& app) {
  Add(fb::CreateAwaitingDocuments(builder(), app.id.value));
}

void DecisionWriter::EnteredQueue(const Application& app, const QueueKey& key, uint64_t position) {
  Add(fb::CreateEnteredQueue(builder(), app.id.value, position, key.locality.value, key.type, key.birth_year,
                             key.language, key.correction, app.place.tier, LineOf(app.place.line),
                             app.filed_at.value));
}

void DecisionWriter::DocumentsRejected(const Application& app, std::string_view specialist,
                                       std::string_view reason) {
  const auto name = builder().CreateString(specialist);
  const auto why = builder().CreateString(reason);
  Add(fb::CreateDocumentsRejected(builder(), app.id.value, name, why));
}

void DecisionWriter::VoucherIssued(const Application& app) {
  Add(fb::CreateVoucherIssued(builder(), app.id.value, app.voucher.value, app.deadline_at.value,
                              civil::ToYyyymmdd(app.deadline_date)));
}

void DecisionWriter::InterestConfirmed(const Application& app) {
  Add(fb::CreateInterestConfirmed(builder(), app.id.value, app.voucher.value, app.deadline_at.value,
                                  civil::ToYyyymmdd(app.deadline_date)));
}

void DecisionWriter::ExtensionGranted(const Application& app) {
  Add(fb::CreateExtensionGranted(builder(), app.id.value, app.deadline_at.value,
                                 civil::ToYyyymmdd(app.deadline_date)));
}

void DecisionWriter::EnrollmentRequested(const Application& app, KindergartenId kindergarten) {
  Add(fb::CreateEnrollmentRequested(builder(), app.id.value, kindergarten.value, app.group.value));
}

void DecisionWriter::ContractSent(const Application& app) {
  const auto number = builder().CreateString(app.contract_number);
  Add(fb::CreateContractSent(builder(), app.id.value, number, app.deadline_at.value,
                             civil::ToYyyymmdd(app.deadline_date)));
}

void DecisionWriter::ParentSigned(const Application& app) {
  const auto digest = builder().CreateString(app.parent_document_sha256);
  Add(fb::CreateParentSigned(builder(), app.id.value, digest, app.deadline_at.value,
                             civil::ToYyyymmdd(app.deadline_date)));
}

void DecisionWriter::EnrollmentRequestLapsed(const Application& app) {
  Add(fb::CreateEnrollmentRequestLapsed(builder(), app.id.value, app.deadline_at.value,
                                        civil::ToYyyymmdd(app.deadline_date)));
}

void DecisionWriter::Enrolled(const Application& app, KindergartenId kindergarten) {
  const auto digest = builder().CreateString(app.kindergarten_document_sha256);
  Add(fb::CreateEnrolled(builder(), app.id.value, kindergarten.value, app.group.value,
                         app.voucher.value, digest));
}

void DecisionWriter::PlaceFreed(const Application& app, KindergartenId kindergarten) {
  Add(fb::CreatePlaceFreed(builder(), app.id.value, kindergarten.value, app.group.value));
}

void DecisionWriter::DeadlineMoved(const Application& app) {
  Add(fb::CreateDeadlineMoved(builder(), app.id.value, app.deadline_at.value, civil::ToYyyymmdd(app.deadline_date)));
}

void DecisionWriter::VoucherAnnulled(const Application& app, VoucherId voucher, fb::AnnulReason reason) {
  Add(fb::CreateVoucherAnnulled(builder(), app.id.value, voucher.value, reason));
}

void DecisionWriter::VouchersAllocated(const fb::AllocateVouchers& a, VoucherId first) {
  Add(fb::CreateVouchersAllocated(builder(), a.locality(), a.queue_type(), a.birth_year(),
                                  a.language(), a.correction_type(), first.value, a.count()));
}

void DecisionWriter::StopListed(const Application& app) {
  Add(fb::CreateStopListed(builder(), app.id.value, app.deadline_at.value));
}

void DecisionWriter::ReturnedToQueue(const Application& app, const QueueKey& key, uint64_t position) {
  Add(fb::CreateReturnedToQueue(builder(), app.id.value, position, key.locality.value, key.type, key.birth_year,
                                key.language, key.correction, app.place.tier, LineOf(app.place.line),
                                app.filed_at.value));
}

void DecisionWriter::Archived(const Application& app) {
  Add(fb::CreateArchived(builder(), app.id.value, app.archive_reason));
}

void DecisionWriter::MessageTemplatesSet(uint32_t version) {
  Add(fb::CreateMessageTemplatesSet(builder(), version));
}

void DecisionWriter::Notify(const Application& app, fb::NotificationKind kind, const messages::Message& message) {
  if (templates_ != 0) {
    const messages::Args args = message.Arguments();
    const auto recipient = CreateIin(builder(), app.applicant);
    const auto name = args.name.empty() ? 0 : builder().CreateString(args.name);
    const auto name_kk = args.name_kk.empty() ? 0 : builder().CreateString(args.name_kk);
    fb::NotificationBuilder n(builder());
    n.add_application(app.id.value);
    n.add_number(args.number);
    n.add_recipient_iin(recipient);
    n.add_templates(templates_);
    n.add_date(args.date.value);
    n.add_name(name);
    n.add_name_kk(name_kk);
    n.add_kind(kind);
    n.add_variant(args.variant);
    Add(n.Finish());
    return;
  }
  message.Render(&text_ru_, &text_kk_);
  const auto recipient = CreateIin(builder(), app.applicant);
  const auto ru = builder().CreateString(text_ru_);
  const auto kk = builder().CreateString(text_kk_);
  Add(fb::CreateNotification(builder(), app.id.value, recipient, kind, ru, kk));
}

}  // namespace kezek
