// Collects the decisions of one input into the journal records under construction. Every decision
// is a table in the FlatBufferBuilder of the record (the part) it goes into; when a part is full
// (Bound), the next decision opens the next part in a builder of its own, so the decisions of one
// input are split in order, deterministically, across consecutive records (DESIGN §5). The engine
// finishes one record per part (Engine::Finish).
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "engine/limits.h"
#include "engine/messages.h"
#include "engine/queue.h"
#include "engine/schemas_fwd.h"
#include "engine/types.h"

namespace kezek {

struct Application;

class DecisionWriter {
 public:
  // When a part is full (DESIGN §5, "A record has a bound"): it takes no more decisions once it
  // holds `decisions_max` of them or its builder holds `bytes_max` bytes.
  struct Bound {
    size_t decisions_max = limits::kDecisionsPerRecordMax;
    size_t bytes_max = limits::kRecordDecisionBytesMax;
  };

  // The decisions of one part: built in the part's own builder, which the record is finished in.
  struct Part {
    flatbuffers::FlatBufferBuilder* builder = nullptr;
    std::vector<flatbuffers::Offset<fb::Decision>> decisions;
  };

  // Part 0 is built in `first`, the engine's builder; later parts in builders of the writer's own.
  explicit DecisionWriter(flatbuffers::FlatBufferBuilder& first) : first_(first) { Clear(); }

  // Forgets the decisions and clears every builder: the next input starts in part 0.
  void Clear();
  size_t count() const { return count_; }
  // The parts of the input so far, in order; at least one (part 0, perhaps without decisions).
  std::span<Part> parts() { return parts_; }
  void set_bound(Bound bound);
  const Bound& bound() const { return bound_; }

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
  void PlaceFreed(const Application& app, KindergartenId kindergarten);
  void DeadlineMoved(const Application& app);
  void VoucherAnnulled(const Application& app, VoucherId voucher, fb::AnnulReason reason);
  void VouchersAllocated(const fb::AllocateVouchers& allocation, VoucherId first);
  void StopListed(const Application& app);
  void ReturnedToQueue(const Application& app, const QueueKey& key, uint64_t position);
  void Archived(const Application& app);
  void MessageTemplatesSet(uint32_t version);
  // Without templates (version 0) the texts are written into buffers kept for the next
  // notification, then into the record; with templates, the version and the message's arguments.
  void Notify(const Application& app, fb::NotificationKind kind, const messages::Message& message);
  // The version of the templates in force, for the notifications from now on.
  void set_templates(uint32_t version) { templates_ = version; }

 private:
  // The builder the next decision goes into: a new part's, when the last decision filled the
  // open part. Every decision's pieces are built through here first, so that none is split.
  flatbuffers::FlatBufferBuilder& builder();
  void Add(fb::DecisionBody kind, flatbuffers::Offset<void> body);
  template <typename T>
  void Add(flatbuffers::Offset<T> body) {
    Add(fb::DecisionBodyTraits<T>::enum_value, body.Union());
  }

  flatbuffers::FlatBufferBuilder& first_;
  std::deque<flatbuffers::FlatBufferBuilder> more_;  // parts 1.., kept to be reused
  std::vector<Part> parts_;
  Bound bound_;
  size_t count_ = 0;
  size_t decision_start_ = SIZE_MAX;  // the open builder's size before the decision being built
  bool full_ = false;          // the open part takes no more decisions
  std::string text_ru_, text_kk_;  // Notify's, their capacity reused
  uint32_t templates_ = 0;
};

}  // namespace kezek
