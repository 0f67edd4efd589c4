// Collects the decisions of one input into the journal record under construction.
// Every decision is a table in the record's FlatBufferBuilder; Finish() writes the record.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "engine/messages.h"
#include "engine/queue.h"
#include "engine/schemas_fwd.h"
#include "engine/types.h"

namespace kezek {

struct Application;

class DecisionWriter {
 public:
  explicit DecisionWriter(flatbuffers::FlatBufferBuilder& builder) : builder_(builder) {}

  void Clear() { decisions_.clear(); }
  size_t count() const { return decisions_.size(); }
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Decision>>> Finish() {
    return builder_.CreateVector(decisions_);
  }

  // `stamped`: the instant the sender stamped; app.filed_at is the instant that ranks it.
  void ApplicationAccepted(const Application& app, InstantMs stamped);
  void AwaitingDocuments(const Application& app);
  // Entering or returning to the queue `key` (the application's): the decision carries the key, tier,
  // line and ranking instant, so that a read model mirrors the queue from the journal alone.
  void EnteredQueue(const Application& app, const QueueKey& key, uint64_t position);
  void DocumentsRejected(const Application& app, std::string_view specialist, std::string_view reason);
  void VoucherIssued(const Application& app);
  void InterestConfirmed(const Application& app);
  void ExtensionGranted(const Application& app);
  void EnrollmentRequested(const Application& app, KindergartenId kindergarten);
  void ContractSent(const Application& app);
  void ParentSigned(const Application& app);
  void EnrollmentRequestLapsed(const Application& app);
  void Enrolled(const Application& app, KindergartenId kindergarten);
  void VoucherAnnulled(const Application& app, VoucherId voucher, fb::AnnulReason reason);
  void VouchersAllocated(const fb::AllocateVouchers& allocation, VoucherId first);
  void StopListed(const Application& app);
  void ReturnedToQueue(const Application& app, const QueueKey& key, uint64_t position);
  void Archived(const Application& app);
  void Notify(const Application& app, fb::NotificationKind kind, const messages::Text& text);

 private:
  template <typename T>
  void Add(flatbuffers::Offset<T> body) {
    decisions_.push_back(fb::CreateDecision(builder_, fb::DecisionBodyTraits<T>::enum_value, body.Union()));
  }

  flatbuffers::FlatBufferBuilder& builder_;
  std::vector<flatbuffers::Offset<fb::Decision>> decisions_;
};

}  // namespace kezek
