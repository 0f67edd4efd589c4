#include "engine/decision_writer.h"

#include "engine/civil_time.h"
#include "engine/state.h"

namespace kezek {

void DecisionWriter::ApplicationAccepted(const Application& app, InstantMs stamped) {
  const auto iin = builder_.CreateString(FormatIin(app.child));
  Add(fb::CreateApplicationAccepted(builder_, app.id.value, iin, app.type, app.filed_at.value, stamped.value));
}

void DecisionWriter::AwaitingDocuments(const Application& app) {
  Add(fb::CreateAwaitingDocuments(builder_, app.id.value));
}

namespace {

fb::QueueLine LineOf(Line line) { return line == Line::Priority ? fb::QueueLine::Priority : fb::QueueLine::General; }

}  // namespace

void DecisionWriter::EnteredQueue(const Application& app, const QueueKey& key, uint64_t position) {
  Add(fb::CreateEnteredQueue(builder_, app.id.value, position, key.locality.value, key.type, key.birth_year,
                             key.language, key.correction, app.place.tier, LineOf(app.place.line),
                             app.filed_at.value));
}

void DecisionWriter::DocumentsRejected(const Application& app, std::string_view specialist,
                                       std::string_view reason) {
  const auto name = builder_.CreateString(specialist);
  const auto why = builder_.CreateString(reason);
  Add(fb::CreateDocumentsRejected(builder_, app.id.value, name, why));
}

void DecisionWriter::VoucherIssued(const Application& app) {
  Add(fb::CreateVoucherIssued(builder_, app.id.value, app.voucher.value, app.deadline_at.value,
                              civil::ToYyyymmdd(app.deadline_date)));
}

void DecisionWriter::InterestConfirmed(const Application& app) {
  Add(fb::CreateInterestConfirmed(builder_, app.id.value, app.voucher.value, app.deadline_at.value,
                                  civil::ToYyyymmdd(app.deadline_date)));
}

void DecisionWriter::ExtensionGranted(const Application& app) {
  Add(fb::CreateExtensionGranted(builder_, app.id.value, app.deadline_at.value,
                                 civil::ToYyyymmdd(app.deadline_date)));
}

void DecisionWriter::EnrollmentRequested(const Application& app, KindergartenId kindergarten) {
  Add(fb::CreateEnrollmentRequested(builder_, app.id.value, kindergarten.value, app.group.value));
}

void DecisionWriter::ContractSent(const Application& app) {
  const auto number = builder_.CreateString(app.contract_number);
  Add(fb::CreateContractSent(builder_, app.id.value, number, app.deadline_at.value,
                             civil::ToYyyymmdd(app.deadline_date)));
}

void DecisionWriter::ParentSigned(const Application& app) {
  const auto digest = builder_.CreateString(app.parent_document_sha256);
  Add(fb::CreateParentSigned(builder_, app.id.value, digest, app.deadline_at.value,
                             civil::ToYyyymmdd(app.deadline_date)));
}

void DecisionWriter::EnrollmentRequestLapsed(const Application& app) {
  Add(fb::CreateEnrollmentRequestLapsed(builder_, app.id.value, app.deadline_at.value,
                                        civil::ToYyyymmdd(app.deadline_date)));
}

void DecisionWriter::Enrolled(const Application& app, KindergartenId kindergarten) {
  const auto digest = builder_.CreateString(app.kindergarten_document_sha256);
  Add(fb::CreateEnrolled(builder_, app.id.value, kindergarten.value, app.group.value,
                         app.voucher.value, digest));
}

void DecisionWriter::VoucherAnnulled(const Application& app, VoucherId voucher, fb::AnnulReason reason) {
  Add(fb::CreateVoucherAnnulled(builder_, app.id.value, voucher.value, reason));
}

void DecisionWriter::VouchersAllocated(const fb::AllocateVouchers& a, VoucherId first) {
  Add(fb::CreateVouchersAllocated(builder_, a.locality(), a.queue_type(), a.birth_year(),
                                  a.language(), a.correction_type(), first.value, a.count()));
}

void DecisionWriter::StopListed(const Application& app) {
  Add(fb::CreateStopListed(builder_, app.id.value, app.deadline_at.value));
}

void DecisionWriter::ReturnedToQueue(const Application& app, const QueueKey& key, uint64_t position) {
  Add(fb::CreateReturnedToQueue(builder_, app.id.value, position, key.locality.value, key.type, key.birth_year,
                                key.language, key.correction, app.place.tier, LineOf(app.place.line),
                                app.filed_at.value));
}

void DecisionWriter::Archived(const Application& app) {
  Add(fb::CreateArchived(builder_, app.id.value, app.archive_reason));
}

void DecisionWriter::Notify(const Application& app, fb::NotificationKind kind, const messages::Text& text) {
  const auto recipient = builder_.CreateString(FormatIin(app.applicant));
  const auto ru = builder_.CreateString(text.ru);
  const auto kk = builder_.CreateString(text.kk);
  Add(fb::CreateNotification(builder_, app.id.value, recipient, kind, ru, kk));
}

}  // namespace kezek
