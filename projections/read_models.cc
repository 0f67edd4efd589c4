#include "projections/read_models.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include <fmt/format.h>

#include "engine/assert.h"
#include "engine/civil_time.h"
#include "engine/iin.h"
#include "engine/numbers.h"
#include "projections/card_texts.h"

namespace kezek::projections {
namespace {

constexpr uint64_t kCursorIndexMax = (uint64_t{1} << kCursorIndexBits) - 1;
constexpr uint64_t kCursorSequenceMax = (uint64_t{1} << (64 - kCursorIndexBits)) - 2;

Line LineOf(fb::QueueLine line) { return line == fb::QueueLine::Priority ? Line::Priority : Line::General; }

std::optional<uint64_t> IinNumber(std::string_view text) {
  const auto parsed = ParseIin(text);
  const auto* info = std::get_if<IinInfo>(&parsed);
  if (info == nullptr) return std::nullopt;
  return info->iin.value;
}

fb::NotificationKind KindOf(uint32_t index_and_kind) { return static_cast<fb::NotificationKind>(index_and_kind & 0xFF); }
uint32_t IndexOf(uint32_t index_and_kind) { return index_and_kind >> 8; }

// Little-endian bytes of every field, streamed into SHA-256 in chunks (ReadModels::Hash).
class Canon {
 public:
  Canon() { hasher_.Begin(); }
  template <typename T>
  void Int(T value) {
    static_assert(std::is_integral_v<T> || std::is_enum_v<T>);
    uint64_t v = static_cast<uint64_t>(value);
    for (size_t i = 0; i < sizeof(T); ++i) buffer_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    Flush(false);
  }
  void Text(std::string_view text) {
    Int(uint64_t{text.size()});
    buffer_.insert(buffer_.end(), text.begin(), text.end());
    Flush(false);
  }
  Sha256 End() {
    Flush(true);
    return hasher_.End();
  }

 private:
  void Flush(bool all) {
    if (!all && buffer_.size() < 64 * 1024) return;
    hasher_.Update(buffer_);
    buffer_.clear();
  }
  Sha256Hasher hasher_;
  std::vector<uint8_t> buffer_;
};

}  // namespace

uint64_t CursorOf(uint64_t sequence, uint32_t decision_index) {
  KEZEK_ASSERT(decision_index <= kCursorIndexMax);
  KEZEK_ASSERT(sequence <= kCursorSequenceMax);
  return ((sequence << kCursorIndexBits) | decision_index) + 1;
}

ReadModels::ReadModels() = default;

// --- feeding ------------------------------------------------------------------------------------

void ReadModels::Apply(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> aligned;
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(std::max_align_t) != 0) {
    aligned.assign(bytes.begin(), bytes.end());  // FlatBuffers are read in place, aligned
    bytes = aligned;
  }
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), /*max_depth=*/64, /*max_tables=*/1'000'000'000);
  KEZEK_ASSERT(fb::VerifyJournalRecordBuffer(verifier));
  const fb::JournalRecord& record = *fb::GetJournalRecord(bytes.data());
  KEZEK_ASSERT(record.sequence() == next_sequence_);
  record_time_ms_ = record.engine_time_ms();
  if (const auto* decisions = record.decisions()) {
    KEZEK_ASSERT(decisions->size() <= kCursorIndexMax + 1);
    for (uint32_t i = 0; i < decisions->size(); ++i) ApplyDecision(record, *decisions->Get(i), i);
  }
  // A rejected action changes nothing (the decisions it carries are expiries that came first).
  // An input split into parts (DESIGN §5) repeats its action in each: it takes effect once, with
  // the last part, after every decision of the input, as in one unsplit record.
  if (record.outcome() == fb::Outcome::Applied && record.action() != nullptr && !record.continued()) {
    ApplyAction(record.sequence(), *record.action_nested_root());
  }
  ++next_sequence_;
}

void ReadModels::ApplyDecision(const fb::JournalRecord& record, const fb::Decision& decision, uint32_t index) {
  const uint64_t sequence = record.sequence();
  switch (decision.body_type()) {
    case fb::DecisionBody::ApplicationAccepted:
      Accept(record, *decision.body_as_ApplicationAccepted());
      pending_arg_ = 0;
      break;
    case fb::DecisionBody::AwaitingDocuments:
      app(decision.body_as_AwaitingDocuments()->application()).status = fb::ApplicationStatus::AwaitingDocuments;
      pending_arg_ = 0;
      break;
    case fb::DecisionBody::EnteredQueue: {
      const auto& d = *decision.body_as_EnteredQueue();
      Enter(sequence, d.application(),
            QueueKey{LocalityId{d.locality()}, d.queue_type(), d.birth_year(), d.language(), d.correction_type()},
            d.tier(), d.line(), d.filed_at_ms(), d.position(), fb::PositionEvent::EnteredQueue);
      break;
    }
    case fb::DecisionBody::ReturnedToQueue: {
      const auto& d = *decision.body_as_ReturnedToQueue();
      Enter(sequence, d.application(),
            QueueKey{LocalityId{d.locality()}, d.queue_type(), d.birth_year(), d.language(), d.correction_type()},
            d.tier(), d.line(), d.filed_at_ms(), d.position(), fb::PositionEvent::ReturnedToQueue);
      break;
    }
    case fb::DecisionBody::DocumentsRejected: {
      const auto& d = *decision.body_as_DocumentsRejected();
      KEZEK_ASSERT(find(d.application()) != nullptr);
      pending_arg_ = Intern(d.specialist_name() ? d.specialist_name()->string_view() : std::string_view{});
      break;
    }
    case fb::DecisionBody::VoucherIssued: {
      const auto& d = *decision.body_as_VoucherIssued();
      App& a = app(d.application());
      KEZEK_ASSERT(a.status == fb::ApplicationStatus::InQueue && a.queue != kNoQueue);
      const uint64_t position = LivePosition(a, d.application());
      KEZEK_ASSERT(position == 1);  // a voucher goes to the head of the order of issue
      const QueueEntry popped = queues_[a.queue].PopHead(RatioOf(a.locality));
      Touch('Q', a.queue);  // its ratio cycle moved
      KEZEK_ASSERT(popped.application.value == d.application());
      --waiting_;
      LogQueue(sequence, a.queue, QueueEventKind::Popped, d.application(), a.tier, a.line);
      AddHistory(sequence, a, d.application(), position, 0, fb::PositionEvent::VoucherIssued);
      a.status = fb::ApplicationStatus::VoucherIssued;
      a.voucher = d.voucher();
      SetDeadline(a, fb::DeadlineKind::Interest, d.deadline_ms(), d.deadline_date());
      break;
    }
    case fb::DecisionBody::InterestConfirmed: {
      const auto& d = *decision.body_as_InterestConfirmed();
      App& a = app(d.application());
      a.status = fb::ApplicationStatus::VoucherInUse;
      SetDeadline(a, fb::DeadlineKind::Enrollment, d.deadline_ms(), d.deadline_date());
      break;
    }
    case fb::DecisionBody::ExtensionGranted: {
      const auto& d = *decision.body_as_ExtensionGranted();
      App& a = app(d.application());
      a.extension_used = true;
      SetDeadline(a, fb::DeadlineKind::Enrollment, d.deadline_ms(), d.deadline_date());
      break;
    }
    case fb::DecisionBody::EnrollmentRequested: {
      const auto& d = *decision.body_as_EnrollmentRequested();
      App& a = app(d.application());
      a.status = fb::ApplicationStatus::AwaitingContract;
      a.group = d.group();
      const auto group = groups_.find(d.group());
      KEZEK_ASSERT(group != groups_.end() && group->second.kindergarten == d.kindergarten());
      ++group->second.taken;
      ++popularity_[d.kindergarten()].requests;
      Touch('G', d.group());
      Touch('Y', d.kindergarten());
      pending_arg_ = 0;
      break;
    }
    case fb::DecisionBody::ContractSent: {
      const auto& d = *decision.body_as_ContractSent();
      App& a = app(d.application());
      a.status = fb::ApplicationStatus::ContractSent;
      SetDeadline(a, fb::DeadlineKind::ParentSignature, d.deadline_ms(), d.deadline_date());
      break;
    }
    case fb::DecisionBody::ParentSigned: {
      const auto& d = *decision.body_as_ParentSigned();
      App& a = app(d.application());
      a.status = fb::ApplicationStatus::ParentSigned;
      SetDeadline(a, fb::DeadlineKind::KindergartenSignature, d.deadline_ms(), d.deadline_date());
      break;
    }
    case fb::DecisionBody::EnrollmentRequestLapsed: {
      const auto& d = *decision.body_as_EnrollmentRequestLapsed();
      App& a = app(d.application());
      KEZEK_ASSERT(a.group != 0);
      GroupInfo& group = groups_.at(a.group);
      KEZEK_ASSERT(group.taken > 0);
      --group.taken;
      Touch('G', a.group);
      a.group = 0;
      a.status = fb::ApplicationStatus::VoucherInUse;
      SetDeadline(a, fb::DeadlineKind::Enrollment, d.deadline_ms(), d.deadline_date());
      break;
    }
    case fb::DecisionBody::Enrolled: {
      const auto& d = *decision.body_as_Enrolled();
      App& a = app(d.application());
      KEZEK_ASSERT(a.group == d.group());
      ++popularity_[d.kindergarten()].enrollments;
      Touch('Y', d.kindergarten());
      const KindergartenInfo& kindergarten = kindergartens_.at(d.kindergarten());
      std::string names = kindergarten.name_ru;
      names.push_back('\0');
      names += kindergarten.name_kk;
      pending_arg_ = Intern(names);
      break;
    }
    case fb::DecisionBody::DeadlineMoved: {  // a UTC offset posted since: the same date, another instant
      const auto& d = *decision.body_as_DeadlineMoved();
      app(d.application()).deadline_ms = d.deadline_ms();
      break;
    }
    case fb::DecisionBody::PlaceFreed: {  // an enrolled child went to school
      const auto& d = *decision.body_as_PlaceFreed();
      GroupInfo& group = groups_.at(d.group());
      KEZEK_ASSERT(group.taken > 0);
      --group.taken;
      Touch('G', d.group());
      break;
    }
    case fb::DecisionBody::VoucherAnnulled: {
      const auto& d = *decision.body_as_VoucherAnnulled();
      App& a = app(d.application());
      KEZEK_ASSERT(a.voucher == d.voucher());
      if (a.group != 0) {
        GroupInfo& group = groups_.at(a.group);
        KEZEK_ASSERT(group.taken > 0);
        --group.taken;
        Touch('G', a.group);
        a.group = 0;
      }
      a.voucher = 0;
      a.extension_used = false;
      pending_arg_ = static_cast<uint32_t>(d.reason());
      break;
    }
    case fb::DecisionBody::VouchersAllocated: {
      const auto& d = *decision.body_as_VouchersAllocated();
      QueueFor(QueueKey{LocalityId{d.locality()}, d.queue_type(), d.birth_year(), d.language(), d.correction_type()});
      pending_arg_ = 0;
      break;
    }
    case fb::DecisionBody::StopListed: {
      const auto& d = *decision.body_as_StopListed();
      App& a = app(d.application());
      a.status = fb::ApplicationStatus::StopListed;
      a.deadline = fb::DeadlineKind::StopList;
      a.deadline_ms = d.return_at_ms();
      a.deadline_date = offsets_.LocalDateOf(LocalityId{a.locality}, InstantMs{d.return_at_ms()}).value;
      pending_arg_ = static_cast<uint32_t>(a.deadline_date);
      break;
    }
    case fb::DecisionBody::Archived: {
      const auto& d = *decision.body_as_Archived();
      App& a = app(d.application());
      KEZEK_ASSERT(a.status != fb::ApplicationStatus::Archived);
      if (a.status == fb::ApplicationStatus::InQueue) {
        const uint64_t position = LivePosition(a, d.application());
        queues_[a.queue].Erase(EntryOf(a, d.application()), a.line);
        --waiting_;
        LogQueue(sequence, a.queue, QueueEventKind::Erased, d.application(), a.tier, a.line);
        AddHistory(sequence, a, d.application(), position, 0, fb::PositionEvent::LeftQueue);
      }
      a.status_before_archive = a.status;
      a.status = fb::ApplicationStatus::Archived;
      a.archive_reason = d.reason();
      a.deadline = fb::DeadlineKind::None;
      a.deadline_ms = 0;
      a.deadline_date = 0;
      pending_arg_ = static_cast<uint32_t>(d.reason());
      break;
    }
    case fb::DecisionBody::MessageTemplatesSet: {
      // The templates are the record's action's (a posting is never split into parts).
      const fb::Action* action = record.action_nested_root();
      KEZEK_ASSERT(action != nullptr && action->body_type() == fb::ActionBody::SetMessageTemplates);
      const uint32_t version = templates_.Post(*action->body_as_SetMessageTemplates());
      KEZEK_ASSERT(version == decision.body_as_MessageTemplatesSet()->version());
      templates_since_.push_back(sequence);
      pending_arg_ = 0;
      break;
    }
    case fb::DecisionBody::Notification:
      Notify(record, *decision.body_as_Notification(), index);
      break;
    case fb::DecisionBody::NONE:
      KEZEK_ASSERT(false && "a journal decision without a body");
      break;
  }
}

void ReadModels::Accept(const fb::JournalRecord& record, const fb::ApplicationAccepted& accepted) {
  const fb::Action* action = record.action_nested_root();
  KEZEK_ASSERT(action != nullptr && action->body_type() == fb::ActionBody::FileApplication);
  const fb::FileApplication& file = *action->body_as_FileApplication();
  const uint64_t id = accepted.application();
  KEZEK_ASSERT(LocalityOfNumber(id).has_value());
  App& a = Room(id);
  Touch('A', id);
  KEZEK_ASSERT(a.applicant == 0);  // each application is accepted once
  const auto applicant = IinNumber(action->actor()->iin()->string_view());
  const auto child = IinNumber(accepted.child_iin()->string_view());
  KEZEK_ASSERT(applicant.has_value() && child.has_value());
  a.applicant = *applicant;
  a.child = *child;
  a.filed_at_ms = accepted.filed_at_ms();
  a.stamped_ms = accepted.stamped_ms();
  const std::string_view name = file.child_name()->string_view();
  KEZEK_ASSERT(name.size() <= UINT16_MAX && names_.size() + name.size() <= UINT32_MAX);
  a.name_offset = static_cast<uint32_t>(names_.size());
  a.name_length = static_cast<uint16_t>(name.size());
  names_.append(name);
  const std::string_view category = file.priority_category()->string_view();
  auto it = category_index_.find(category);
  if (it == category_index_.end()) {
    KEZEK_ASSERT(categories_.size() < UINT16_MAX);
    it = category_index_.emplace(std::string(category), static_cast<uint16_t>(categories_.size())).first;
    categories_.emplace_back(category);
  }
  a.category = it->second;
  a.locality = file.locality();
  a.type = accepted.queue_type();
  a.language = file.language();
  a.correction = file.correction_type();
  a.financing = file.financing();
  a.preferred_kindergarten = a.type == fb::QueueType::Special ? file.kindergarten() : 0;
  const TierPlace place = PlaceOrLast(PolicyOf(a.locality), category);
  a.tier = place.tier;
  a.line = place.line;
}

void ReadModels::Enter(uint64_t sequence, uint64_t id, const QueueKey& key, uint8_t tier, fb::QueueLine line,
                       int64_t filed_at_ms, uint64_t position, fb::PositionEvent event) {
  App& a = app(id);
  KEZEK_ASSERT(a.status != fb::ApplicationStatus::InQueue && a.status != fb::ApplicationStatus::Archived);
  KEZEK_ASSERT(a.filed_at_ms == filed_at_ms && key.locality.value == a.locality && key.type == a.type);
  const uint32_t queue = QueueFor(key);
  KEZEK_ASSERT(a.queue == kNoQueue || a.queue == queue);  // an application has one queue
  a.queue = queue;
  a.tier = tier;
  a.line = LineOf(line);
  a.status = fb::ApplicationStatus::InQueue;
  a.deadline = fb::DeadlineKind::None;
  a.deadline_ms = 0;
  a.deadline_date = 0;
  queues_[queue].Insert(EntryOf(a, id), a.line);
  ++waiting_;
  // The pair of the engine's own count: the mirrored queue must rank it where the engine did.
  KEZEK_ASSERT(LivePosition(a, id) == position);
  LogQueue(sequence, queue, QueueEventKind::Inserted, id, a.tier, a.line);
  AddHistory(sequence, a, id, position, RankOf(a, position), event);
  KEZEK_ASSERT(position <= UINT32_MAX);
  pending_arg_ = static_cast<uint32_t>(position);
}

void ReadModels::Notify(const fb::JournalRecord& record, const fb::Notification& n, uint32_t index) {
  const App* found = find(n.application());
  KEZEK_ASSERT(found != nullptr);
  const App& a = *found;
  KEZEK_ASSERT(IinNumber(n.recipient_iin()->string_view()) == a.applicant);
  KEZEK_ASSERT(notes_.size() < UINT32_MAX);
  const uint32_t note_index = static_cast<uint32_t>(notes_.size());
  notes_.push_back(Note{record.sequence(), n.application(), index << 8 | static_cast<uint32_t>(n.kind()), pending_arg_});
  // Texts are rendered again on read; where the renderer would not give the journal's words
  // (a message catalogue changed since), the journal's are kept. A notification made from
  // templates says its words through the templates the journal posted, with its own arguments.
  const messages::Message mine = MessageOf(notes_.back());
  const uint32_t version = TemplatesAt(record.sequence());
  if (n.templates() == 0) {
    const std::string_view ru = n.text_ru() ? n.text_ru()->string_view() : std::string_view{};
    const std::string_view kk = n.text_kk() ? n.text_kk()->string_view() : std::string_view{};
    templates_.Reword(version, n.kind(), mine).Render(&rendered_.ru, &rendered_.kk);  // buffers kept note to note
    if (rendered_.ru != ru || rendered_.kk != kk) {
      spelled_.emplace(note_index, messages::Text{std::string(ru), std::string(kk)});
      Touch('S', note_index);
    }
  } else {
    KEZEK_ASSERT(n.templates() == version);
    // The same version's words with the same arguments are the same words: only a note whose
    // arguments differ from its record's is worded twice and compared.
    if (mine.Arguments() != messages::ArgsOf(n)) {
      messages::Text said = templates_.TextOf(n);
      templates_.Reword(version, n.kind(), mine).Render(&rendered_.ru, &rendered_.kk);
      if (rendered_.ru != said.ru || rendered_.kk != said.kk) {
        spelled_.emplace(note_index, std::move(said));
        Touch('S', note_index);
      }
    }
  }
  inbox_[a.applicant].push_back(note_index);
  NoteTime(record.sequence());
}

void ReadModels::ApplyAction(uint64_t sequence, const fb::Action& action) {
  switch (action.body_type()) {
    case fb::ActionBody::UpsertLocality: {
      const auto& a = *action.body_as_UpsertLocality();
      LocalityInfo& locality = localities_[a.locality()];
      locality.name_ru = a.name_ru()->str();
      locality.name_kk = a.name_kk()->str();
      locality.region_code = a.region_code() ? a.region_code()->str() : std::string{};
      Touch('L', a.locality());
      break;
    }
    case fb::ActionBody::SetUtcOffset: {
      const auto& a = *action.body_as_SetUtcOffset();
      offsets_.Set(LocalityId{a.locality()}, InstantMs{a.effective_from_ms()}, a.offset_minutes());
      Touch('O', a.locality());
      break;
    }
    case fb::ActionBody::UpsertKindergarten: {
      const auto& a = *action.body_as_UpsertKindergarten();
      KindergartenInfo& kindergarten = kindergartens_[a.kindergarten()];
      kindergarten.locality = a.locality();
      kindergarten.name_ru = a.name_ru()->str();
      kindergarten.name_kk = a.name_kk()->str();
      Touch('K', a.kindergarten());
      break;
    }
    case fb::ActionBody::UpsertGroup:
      UpsertGroup(*action.body_as_UpsertGroup());
      break;
    case fb::ActionBody::SetPriorityPolicy:
      SetPolicy(sequence, *action.body_as_SetPriorityPolicy());
      break;
    // Everything else the read models need from these is in their decisions.
    case fb::ActionBody::FileApplication:
    case fb::ActionBody::ConfirmDocuments:
    case fb::ActionBody::RejectDocuments:
    case fb::ActionBody::Withdraw:
    case fb::ActionBody::AllocateVouchers:
    case fb::ActionBody::AnswerInterest:
    case fb::ActionBody::ExtendVoucher:
    case fb::ActionBody::ChooseKindergarten:
    case fb::ActionBody::SendContract:
    case fb::ActionBody::ParentSigns:
    case fb::ActionBody::KindergartenSigns:
    case fb::ActionBody::UpdateCalendar:
    case fb::ActionBody::SetMessageTemplates:  // its decision posts them
    case fb::ActionBody::ArchiveChild:
    case fb::ActionBody::ClockTick:
      break;
    case fb::ActionBody::NONE:
      KEZEK_ASSERT(false && "an applied action without a body");
      break;
  }
}

void ReadModels::UpsertGroup(const fb::UpsertGroup& a) {
  GroupInfo& group = groups_[a.group()];
  Touch('G', a.group());
  if (group.kindergarten != a.kindergarten()) {
    Touch('K', group.kindergarten);
    Touch('K', a.kindergarten());
    if (group.kindergarten != 0) std::erase(kindergartens_.at(group.kindergarten).groups, a.group());
    auto& list = kindergartens_.at(a.kindergarten()).groups;
    list.insert(std::upper_bound(list.begin(), list.end(), a.group()), a.group());
  }
  group.kindergarten = a.kindergarten();
  group.language = a.language();
  group.min_age_years = a.min_age_years();
  group.max_age_years = a.max_age_years();
  group.correction = a.correction_type();
  group.capacity = a.capacity();
}

// The engine re-ranks every queue a policy governs (engine/catalogue.cc SetPriorityPolicy): the
// queues are emptied (their ratio cycle restarts) and every application not archived takes its
// category's place under the new policy; those waiting re-enter. The same, from the categories
// the FileApplication actions named.
void ReadModels::SetDeadline(App& a, fb::DeadlineKind kind, int64_t deadline_ms, int32_t deadline_yyyymmdd) {
  a.deadline = kind;
  a.deadline_ms = deadline_ms;
  a.deadline_date = civil::FromYyyymmdd(deadline_yyyymmdd).value_or(LocalDate{}).value;
  pending_arg_ = static_cast<uint32_t>(a.deadline_date);  // the notification after it tells the date
}

void ReadModels::SetPolicy(uint64_t sequence, const fb::SetPriorityPolicy& a) {
  const uint32_t locality = a.locality();
  policies_[locality] = PolicyFrom(a);
  Touch('R', locality);
  const auto governed = [&](uint32_t owner) {
    return owner == locality || (locality == 0 && !policies_.contains(owner));
  };
  std::vector<uint64_t> waiting;  // those waiting in the queues it re-ranks
  const std::vector<uint64_t> numbers = AppNumbers();
  for (const uint64_t id : numbers) {
    const App& x = at(id);
    if (x.status == fb::ApplicationStatus::InQueue && governed(x.locality)) waiting.push_back(id);
  }
  for (uint32_t q = 0; q < queues_.size(); ++q) {
    if (!governed(queues_[q].key().locality.value)) continue;
    queues_[q].Clear();
    Touch('Q', q);
  }
  for (const uint64_t id : numbers) {
    App& x = Room(id);
    if (x.status == fb::ApplicationStatus::Archived || !governed(x.locality)) continue;
    const TierPlace place = PlaceOrLast(PolicyOf(x.locality), categories_[x.category]);
    if (x.tier != place.tier || x.line != place.line) Touch('A', id);
    x.tier = place.tier;
    x.line = place.line;
    if (x.status == fb::ApplicationStatus::InQueue) queues_[x.queue].Insert(EntryOf(x, id), x.line);
  }
  // Each re-ranked queue's log restarts its members' reckoning: every one of them gets a history
  // entry with its new rank (O(n), as the re-ranking itself; the view shows it only if its place
  // changed).
  for (uint32_t q = 0; q < queues_.size(); ++q) {
    if (governed(queues_[q].key().locality.value)) LogQueue(sequence, q, QueueEventKind::Reset, 0, 0, Line::General);
  }
  for (const uint64_t id : waiting) {
    App& x = Room(id);
    const uint64_t position = LivePosition(x, id);
    AddHistory(sequence, x, id, position, RankOf(x, position), fb::PositionEvent::PolicyReranked);
  }
}

void ReadModels::AddHistory(uint64_t sequence, App& a, uint64_t id, uint64_t position, uint64_t rank,
                            fb::PositionEvent event) {
  Touch('A', id);
  KEZEK_ASSERT(history_.size() < UINT32_MAX && position <= UINT32_MAX && rank <= UINT32_MAX);
  KEZEK_ASSERT(a.queue != kNoQueue);
  const uint64_t log_end = queue_logs_[a.queue].size();
  KEZEK_ASSERT(log_end <= UINT32_MAX);
  history_.push_back(HistoryEntry{sequence, static_cast<uint32_t>(position), a.last_history, static_cast<uint32_t>(rank),
                                  static_cast<uint32_t>(log_end), a.tier, a.line, event});
  a.last_history = static_cast<uint32_t>(history_.size());
  NoteTime(sequence);
}

void ReadModels::LogQueue(uint64_t sequence, uint32_t queue, QueueEventKind kind, uint64_t application, uint8_t tier,
                          Line line) {
  const Queue& q = queues_[queue];
  const Ratio ratio = RatioOf(q.key().locality.value);
  KEZEK_ASSERT(q.size() <= UINT32_MAX);
  std::vector<QueueEvent>& log = queue_logs_[queue];
  KEZEK_ASSERT(log.size() < UINT32_MAX);
  Touch('W', uint64_t{queue} << 32 | log.size());
  log.push_back(QueueEvent{sequence, application, static_cast<uint32_t>(q.size(Line::Priority)),
                           static_cast<uint32_t>(q.size(Line::General)), q.cycle(), ratio.priority, ratio.general, tier,
                           line, kind});
  NoteTime(sequence);
}

uint64_t ReadModels::RankOf(const App& a, uint64_t position) const {
  const Queue& q = queues_[a.queue];
  const Ratio ratio = RatioOf(a.locality);
  const uint64_t other = q.size(a.line == Line::Priority ? Line::General : Line::Priority);
  // The place in the order of issue grows strictly with the rank: the least rank placed at or
  // after `position` is the one.
  uint64_t low = 1, high = q.size(a.line);
  while (low < high) {
    const uint64_t middle = low + (high - low) / 2;
    if (Queue::PlaceInIssueOrder(middle, a.line, other, ratio, q.cycle()) < position) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  KEZEK_ASSERT(Queue::PlaceInIssueOrder(low, a.line, other, ratio, q.cycle()) == position);
  return low;
}

void ReadModels::NoteTime(uint64_t sequence) {
  if (times_.empty() || times_.back().first != sequence) times_.emplace_back(sequence, record_time_ms_);
}

// --- helpers ------------------------------------------------------------------------------------

ReadModels::App& ReadModels::app(uint64_t id) {
  KEZEK_ASSERT(find(id) != nullptr);
  Touch('A', id);
  return Room(id);
}

const ReadModels::App* ReadModels::find(uint64_t id) const {
  const std::optional<LocalityId> locality = LocalityOfNumber(id);
  if (!locality) return nullptr;
  const auto it = apps_.find(locality->value);
  const uint32_t serial = SerialOfNumber(id);
  if (it == apps_.end() || serial > it->second.size() || it->second[serial - 1].applicant == 0) return nullptr;
  return &it->second[serial - 1];
}

const ReadModels::App& ReadModels::at(uint64_t id) const {
  const App* a = find(id);
  KEZEK_ASSERT(a != nullptr);
  return *a;
}

ReadModels::App& ReadModels::Room(uint64_t id) {
  const std::optional<LocalityId> locality = LocalityOfNumber(id);
  KEZEK_ASSERT(locality.has_value());
  std::vector<App>& apps = apps_[locality->value];
  const uint32_t serial = SerialOfNumber(id);
  if (apps.size() < serial) apps.resize(serial);
  return apps[serial - 1];
}

std::vector<uint64_t> ReadModels::AppNumbers() const {
  std::vector<uint32_t> localities;
  localities.reserve(apps_.size());
  for (const auto& [locality, apps] : apps_) localities.push_back(locality);
  std::sort(localities.begin(), localities.end());
  std::vector<uint64_t> out;
  for (const uint32_t locality : localities) {
    const std::vector<App>& apps = apps_.at(locality);
    for (size_t i = 0; i < apps.size(); ++i) {
      if (apps[i].applicant != 0) out.push_back(NumberOf(LocalityId{locality}, i + 1));
    }
  }
  return out;
}

QueueEntry ReadModels::EntryOf(const App& a, uint64_t id) const {
  return QueueEntry{a.tier, InstantMs{a.filed_at_ms}, ApplicationId{id}};
}

const PriorityPolicy& ReadModels::PolicyOf(uint32_t locality) const {
  static const PriorityPolicy kBuiltIn{{Tier{"general", {"general"}, true}}, Ratio{}};  // as engine/state.cc
  auto it = policies_.find(locality);
  if (it == policies_.end()) it = policies_.find(0);
  return it == policies_.end() ? kBuiltIn : it->second;
}

Ratio ReadModels::RatioOf(uint32_t locality) const { return PolicyOf(locality).ratio; }

uint64_t ReadModels::LivePosition(const App& a, uint64_t id) const {
  KEZEK_ASSERT(a.status == fb::ApplicationStatus::InQueue);
  return queues_[a.queue].PositionOf(EntryOf(a, id), a.line, RatioOf(a.locality));
}

uint32_t ReadModels::QueueFor(const QueueKey& key) {
  const auto [it, inserted] = queue_index_.try_emplace(key, static_cast<uint32_t>(queues_.size()));
  if (inserted) {
    queues_.emplace_back(key);
    queue_logs_.emplace_back();
    Touch('Q', it->second);
  }
  return it->second;
}

uint32_t ReadModels::Intern(std::string_view text) {
  auto it = pool_index_.find(text);
  if (it == pool_index_.end()) {
    KEZEK_ASSERT(pool_.size() < UINT32_MAX);
    it = pool_index_.emplace(std::string(text), static_cast<uint32_t>(pool_.size())).first;
    pool_.emplace_back(text);
  }
  return it->second;
}

std::string_view ReadModels::ChildName(const App& a) const {
  return std::string_view(names_).substr(a.name_offset, a.name_length);
}

int64_t ReadModels::TimeOf(uint64_t sequence) const {
  const auto it = std::lower_bound(times_.begin(), times_.end(), std::make_pair(sequence, INT64_MIN));
  KEZEK_ASSERT(it != times_.end() && it->first == sequence);
  return it->second;
}

std::string ReadModels::LocalText(uint32_t locality, int64_t instant_ms, bool seconds) const {
  const int64_t offset_ms = int64_t{offsets_.OffsetAt(LocalityId{locality}, InstantMs{instant_ms})} * kMsPerMinute;
  const int64_t local_ms = instant_ms + offset_ms;
  const LocalDate date = civil::DateOf(InstantMs{instant_ms}, static_cast<int32_t>(offset_ms / kMsPerMinute));
  const int64_t in_day_s = (local_ms - int64_t{date.value} * kMsPerDay) / 1000;
  const std::string day = civil::FormatDotted(date);
  if (seconds) return fmt::format("{} {:02}:{:02}:{:02}", day, in_day_s / 3600, in_day_s / 60 % 60, in_day_s % 60);
  return fmt::format("{} {:02}:{:02}", day, in_day_s / 3600, in_day_s / 60 % 60);
}

messages::Message ReadModels::MessageOf(const Note& note) const {
  const uint32_t arg = note.arg;
  const LocalDate date{static_cast<int32_t>(arg)};
  switch (KindOf(note.index_and_kind)) {
    case fb::NotificationKind::ApplicationAccepted:
      return messages::ApplicationAccepted(arg);
    case fb::NotificationKind::AwaitingDocuments:
      return messages::AwaitingDocuments();
    case fb::NotificationKind::DocumentsConfirmed:
      return messages::DocumentsConfirmed(arg);
    case fb::NotificationKind::DocumentsRejected:
      return messages::DocumentsRejected(arg < pool_.size() ? std::string_view(pool_[arg]) : std::string_view{});
    case fb::NotificationKind::VoucherIssued:
      return messages::VoucherIssued(ChildName(at(note.application)), date);
    case fb::NotificationKind::AwaitingContract:
      return messages::AwaitingContract();
    case fb::NotificationKind::ContractSent:
      return messages::ContractSent(date);
    case fb::NotificationKind::Enrolled: {
      const std::string_view names = arg < pool_.size() ? std::string_view(pool_[arg]) : std::string_view{};
      const size_t split = std::min(names.find('\0'), names.size());
      return messages::Enrolled(names.substr(0, split), names.substr(std::min(split + 1, names.size())));
    }
    case fb::NotificationKind::VoucherAnnulled:
      return messages::VoucherAnnulled(static_cast<fb::AnnulReason>(arg));
    case fb::NotificationKind::StopListed:
      return messages::StopListed(date);
    case fb::NotificationKind::ReturnedToQueue:
      return messages::ReturnedToQueue(arg);
    case fb::NotificationKind::Archived:
      return messages::Archived(static_cast<fb::ArchiveReason>(arg));
    case fb::NotificationKind::ExtensionGranted:
      return messages::ExtensionGranted(date);
    case fb::NotificationKind::InterestConfirmed:
      return messages::InterestConfirmed(date);
  }
  return messages::Message("", "");
}

messages::Text ReadModels::Render(const Note& note) const {
  return templates_.Reword(TemplatesAt(note.sequence), KindOf(note.index_and_kind), MessageOf(note));
}

uint32_t ReadModels::TemplatesAt(uint64_t sequence) const {
  // A version is in force from the record after the one that posted it.
  return static_cast<uint32_t>(std::lower_bound(templates_since_.begin(), templates_since_.end(), sequence) -
                               templates_since_.begin());
}

// --- views --------------------------------------------------------------------------------------

flatbuffers::Offset<fb::QueueKeyView> ReadModels::BuildKey(flatbuffers::FlatBufferBuilder& b, const QueueKey& key) const {
  return fb::CreateQueueKeyView(b, key.locality.value, key.type, key.birth_year, key.language, key.correction);
}

flatbuffers::Offset<fb::ApplicationCard> ReadModels::BuildCard(flatbuffers::FlatBufferBuilder& b, uint64_t id) const {
  const App& a = at(id);
  const bool archived = a.status == fb::ApplicationStatus::Archived;
  const fb::ApplicationStatus stage_status = archived ? a.status_before_archive : a.status;
  // The step it stands at: choosing a ДО and group assigns the voucher's financing, so a request
  // moves from «Выбор сада» straight to «Зачисление» with «Тип финансирования» done.
  fb::StatusStep stage = fb::StatusStep::Queue;
  switch (stage_status) {
    case fb::ApplicationStatus::AwaitingDocuments:
    case fb::ApplicationStatus::InQueue:
    case fb::ApplicationStatus::StopListed:
    case fb::ApplicationStatus::Archived:
      stage = fb::StatusStep::Queue;
      break;
    case fb::ApplicationStatus::VoucherIssued:
      stage = fb::StatusStep::Voucher;
      break;
    case fb::ApplicationStatus::VoucherInUse:
      stage = fb::StatusStep::KindergartenChoice;
      break;
    case fb::ApplicationStatus::AwaitingContract:
    case fb::ApplicationStatus::ContractSent:
    case fb::ApplicationStatus::ParentSigned:
      stage = fb::StatusStep::Enrollment;
      break;
  }
  const bool enrolled = archived && a.archive_reason == fb::ArchiveReason::Enrolled;
  const std::optional<uint32_t> kindergarten_id = KindergartenOf(id);
  const KindergartenInfo* kindergarten = nullptr;
  if (kindergarten_id) {
    const auto it = kindergartens_.find(*kindergarten_id);
    if (it != kindergartens_.end()) kindergarten = &it->second;
  }
  const std::string_view kg_ru = kindergarten ? std::string_view(kindergarten->name_ru) : std::string_view{};
  const std::string_view kg_kk = kindergarten ? std::string_view(kindergarten->name_kk) : std::string_view{};

  std::vector<flatbuffers::Offset<fb::StatusLineStep>> steps;
  for (int i = 0; i <= static_cast<int>(fb::StatusStep::MAX); ++i) {
    const auto step = static_cast<fb::StatusStep>(i);
    fb::StepState state = fb::StepState::Pending;
    if (enrolled || i < static_cast<int>(stage)) {
      state = fb::StepState::Done;
    } else if (i == static_cast<int>(stage)) {
      state = archived ? fb::StepState::Stopped : fb::StepState::Current;
    }
    const messages::Text name = card_texts::StepName(step);
    const messages::Text text = card_texts::StepText(step, state, stage_status, kg_ru, kg_kk);
    // Strings whole, by their length (a name holding a NUL is not cut at it): the Direct
    // builders take char pointers.
    const auto name_ru = b.CreateString(name.ru), name_kk = b.CreateString(name.kk);
    const auto text_ru = b.CreateString(text.ru), text_kk = b.CreateString(text.kk);
    steps.push_back(fb::CreateStatusLineStep(b, step, state, name_ru, name_kk, text_ru, text_kk));
  }
  const auto locality = localities_.find(a.locality);
  const messages::Text queue_type = card_texts::QueueType(a.type);
  const messages::Text language = card_texts::Language(a.language);
  const messages::Text financing = card_texts::Financing(a.financing);
  const messages::Text status = card_texts::Status(a.status);
  const auto o_queue_ru = b.CreateString(queue_type.ru), o_queue_kk = b.CreateString(queue_type.kk);
  const auto o_filed = b.CreateString(LocalText(a.locality, a.filed_at_ms, true));
  const auto o_stamped = b.CreateString(LocalText(a.locality, a.stamped_ms, true));
  const auto o_applicant = b.CreateString(FormatIin(Iin{a.applicant}));
  const auto o_child = b.CreateString(FormatIin(Iin{a.child}));
  const auto o_name = b.CreateString(ChildName(a));
  const auto o_loc_ru = b.CreateString(locality != localities_.end() ? locality->second.name_ru : std::string{});
  const auto o_loc_kk = b.CreateString(locality != localities_.end() ? locality->second.name_kk : std::string{});
  const auto o_lang_ru = b.CreateString(language.ru), o_lang_kk = b.CreateString(language.kk);
  const auto o_category = b.CreateString(categories_[a.category]);
  const auto o_fin_ru = b.CreateString(financing.ru), o_fin_kk = b.CreateString(financing.kk);
  const auto o_status_ru = b.CreateString(status.ru), o_status_kk = b.CreateString(status.kk);
  const auto o_steps = b.CreateVector(steps);
  const auto o_deadline_date = b.CreateString(
      a.deadline == fb::DeadlineKind::None ? std::string{} : civil::FormatDotted(LocalDate{a.deadline_date}));
  const auto o_kg_ru = b.CreateString(kg_ru), o_kg_kk = b.CreateString(kg_kk);
  const messages::Text notice = card_texts::Notice(
      a.status, ChildName(a),
      a.deadline == fb::DeadlineKind::None ? std::string{} : civil::FormatDotted(LocalDate{a.deadline_date}));
  const auto o_notice_ru = b.CreateString(notice.ru), o_notice_kk = b.CreateString(notice.kk);

  fb::ApplicationCardBuilder card(b);
  card.add_application(id);
  card.add_queue_type(a.type);
  card.add_queue_type_ru(o_queue_ru);
  card.add_queue_type_kk(o_queue_kk);
  card.add_filed_at_ms(a.filed_at_ms);
  card.add_filed_at_local(o_filed);
  card.add_stamped_ms(a.stamped_ms);
  card.add_stamped_local(o_stamped);
  card.add_applicant_iin(o_applicant);
  card.add_child_iin(o_child);
  card.add_child_name(o_name);
  card.add_locality(a.locality);
  card.add_locality_ru(o_loc_ru);
  card.add_locality_kk(o_loc_kk);
  card.add_language(a.language);
  card.add_language_ru(o_lang_ru);
  card.add_language_kk(o_lang_kk);
  card.add_priority_category(o_category);
  card.add_financing(a.financing);
  card.add_financing_ru(o_fin_ru);
  card.add_financing_kk(o_fin_kk);
  card.add_correction_type(a.correction);
  card.add_status(a.status);
  card.add_status_ru(o_status_ru);
  card.add_status_kk(o_status_kk);
  card.add_current_step(stage);
  card.add_steps(o_steps);
  card.add_deadline(a.deadline);
  card.add_deadline_ms(a.deadline_ms);
  card.add_deadline_date(o_deadline_date);
  card.add_voucher(a.voucher);
  card.add_kindergarten(kindergarten_id.value_or(0));
  card.add_kindergarten_ru(o_kg_ru);
  card.add_kindergarten_kk(o_kg_kk);
  card.add_group(a.group);
  card.add_extension_used(a.extension_used);
  if (archived) card.add_archive_reason(a.archive_reason);
  if (a.status == fb::ApplicationStatus::InQueue) card.add_position(LivePosition(a, id));
  card.add_sequence(next_sequence_);
  card.add_notice_ru(o_notice_ru);
  card.add_notice_kk(o_notice_kk);
  return card.Finish();
}

std::optional<std::vector<uint8_t>> ReadModels::Card(uint64_t application) const {
  if (find(application) == nullptr) return std::nullopt;
  flatbuffers::FlatBufferBuilder b(1024);
  b.Finish(BuildCard(b, application));
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

std::vector<uint8_t> ReadModels::Applications(std::string_view applicant_iin) const {
  const ReadModels* self = this;
  return ApplicationsAcross(std::span(&self, 1), applicant_iin);
}

std::vector<uint8_t> ReadModels::ApplicationsAcross(std::span<const ReadModels* const> partitions,
                                                    std::string_view applicant_iin) {
  flatbuffers::FlatBufferBuilder b(4096);
  std::vector<std::pair<uint64_t, const ReadModels*>> ids;  // (application, the models holding it)
  const auto iin = IinNumber(applicant_iin);
  uint64_t sequence = 0;
  for (const ReadModels* m : partitions) {
    sequence += m->next_sequence_;
    if (!iin) continue;
    // Every application's first decision notifies its applicant, so the inbox lists them all.
    if (const auto it = m->inbox_.find(*iin); it != m->inbox_.end()) {
      for (const uint32_t note : it->second) ids.emplace_back(m->notes_[note].application, m);
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<flatbuffers::Offset<fb::ApplicationCard>> cards;
  for (const auto& [id, m] : ids) cards.push_back(m->BuildCard(b, id));
  // The IIN asked about, even one no application can have (a checksum that fails): the list is empty.
  const auto o_iin = b.CreateString(iin ? FormatIin(Iin{*iin}) : std::string(applicant_iin));
  b.Finish(fb::CreateApplicationList(b, o_iin, b.CreateVector(cards), sequence));
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

flatbuffers::Offset<fb::NotificationItem> ReadModels::BuildItem(flatbuffers::FlatBufferBuilder& b,
                                                                 uint32_t note_index) const {
  const Note& note = notes_[note_index];
  const App& a = at(note.application);
  const auto spelled = spelled_.find(note_index);
  const messages::Text text = spelled != spelled_.end() ? spelled->second : Render(note);
  const int64_t at = TimeOf(note.sequence);
  const uint32_t index = IndexOf(note.index_and_kind);
  const auto recipient = b.CreateString(FormatIin(Iin{a.applicant}));
  const auto text_ru = b.CreateString(text.ru), text_kk = b.CreateString(text.kk);
  const auto at_local = b.CreateString(LocalText(a.locality, at, false));
  return fb::CreateNotificationItem(b, CursorOf(note.sequence, index), note.sequence, index, note.application, recipient,
                                    KindOf(note.index_and_kind), text_ru, text_kk, at, at_local);
}

std::vector<uint8_t> ReadModels::Inbox(std::string_view applicant_iin, uint64_t after_cursor, uint32_t limit) const {
  limit = std::min(limit, kPageLimitMax);
  flatbuffers::FlatBufferBuilder b(4096);
  const auto iin = IinNumber(applicant_iin);
  static const std::vector<uint32_t> kNone;
  const std::vector<uint32_t>* list = &kNone;
  if (iin) {
    if (const auto it = inbox_.find(*iin); it != inbox_.end()) list = &it->second;
  }
  const auto cursor_of = [&](uint32_t note) {
    return CursorOf(notes_[note].sequence, IndexOf(notes_[note].index_and_kind));
  };
  auto from = std::upper_bound(list->begin(), list->end(), after_cursor,
                               [&](uint64_t cursor, uint32_t note) { return cursor < cursor_of(note); });
  std::vector<flatbuffers::Offset<fb::NotificationItem>> items;
  uint64_t next = after_cursor;
  for (; from != list->end() && items.size() < limit; ++from) {
    items.push_back(BuildItem(b, *from));
    next = cursor_of(*from);
  }
  const auto o_iin = b.CreateString(iin ? FormatIin(Iin{*iin}) : std::string{});
  b.Finish(fb::CreateInbox(b, o_iin, b.CreateVector(items), next, from != list->end(), list->size(), next_sequence_));
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

std::vector<uint8_t> ReadModels::Feed(uint64_t after_cursor, uint32_t limit) const {
  limit = std::min(limit, kPageLimitMax);
  flatbuffers::FlatBufferBuilder b(4096);
  const auto cursor_of = [](const Note& note) { return CursorOf(note.sequence, IndexOf(note.index_and_kind)); };
  auto from = std::upper_bound(notes_.begin(), notes_.end(), after_cursor,
                               [&](uint64_t cursor, const Note& note) { return cursor < cursor_of(note); });
  std::vector<flatbuffers::Offset<fb::NotificationItem>> items;
  uint64_t next = after_cursor;
  for (; from != notes_.end() && items.size() < limit; ++from) {
    items.push_back(BuildItem(b, static_cast<uint32_t>(from - notes_.begin())));
    next = cursor_of(*from);
  }
  b.Finish(fb::CreateNotificationFeed(b, b.CreateVector(items), next, from != notes_.end(), next_sequence_));
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

std::vector<ReadModels::Change> ReadModels::ChangesOf(const App& a, uint64_t id,
                                                     std::vector<std::vector<CauseEvent>>* causes) const {
  std::vector<uint32_t> chain;  // newest first
  for (uint32_t at = a.last_history; at != 0; at = history_[at - 1].previous) chain.push_back(at - 1);
  std::reverse(chain.begin(), chain.end());
  std::vector<Change> out;
  Explaining explaining{causes, {}, 0};
  Explaining* ex = causes != nullptr ? &explaining : nullptr;
  // Lists an own event's change; what moved it since the last change listed (the walk's pending
  // events, then the rest of the way, put down to the event itself) are its causes.
  const auto own = [&](const HistoryEntry& e, bool listed, std::optional<fb::PositionCause> rest) {
    if (listed) out.push_back(Change{e.sequence, e.position, e.event});
    if (ex == nullptr) return;
    if (listed) {
      if (rest && e.position != ex->tracked) {
        ex->pending.push_back(CauseEvent{*rest, static_cast<int64_t>(e.position) - static_cast<int64_t>(ex->tracked), 0, e.sequence});
      }
      causes->push_back(std::move(ex->pending));
    }
    ex->pending.clear();
    ex->tracked = e.position;
  };
  for (size_t k = 0; k < chain.size(); ++k) {
    const HistoryEntry& e = history_[chain[k]];
    switch (e.event) {
      case fb::PositionEvent::PolicyReranked:
        // Every member of a re-ranked queue has one; shown only where the record moved it.
        own(e, out.empty() || out.back().position != e.position, fb::PositionCause::PolicyChange);
        break;
      case fb::PositionEvent::EnteredQueue:
      case fb::PositionEvent::ReturnedToQueue:
        if (ex != nullptr) ex->pending.clear();  // a new place, not a change of one
        own(e, true, std::nullopt);
        break;
      case fb::PositionEvent::VoucherIssued:
        own(e, true, fb::PositionCause::VoucherIssued);
        break;
      case fb::PositionEvent::LeftQueue:
        own(e, true, fb::PositionCause::LeftOther);
        break;
      case fb::PositionEvent::MovedByOthers:
        KEZEK_ASSERT(false && "a stored history entry is an application's own event");
        break;
    }
    if (e.rank == 0) continue;  // it left: nothing to walk until it enters again
    // The stretch of waiting ends at the log entry of its next own event (which is not walked).
    const uint64_t stop = k + 1 < chain.size() ? uint64_t{history_[chain[k + 1]].log_end} - 1 : queue_logs_[a.queue].size();
    WalkStint(a, id, e, stop, out, ex);
  }
  return out;
}

// Walks queue log entries [start.log_end, log_stop) from the rank `start` records. After each
// record's last entry (an entry whose successor has another sequence), its place is computed
// with the engine's arithmetic and listed if it changed. A record that ends the stretch with the
// application's own event (popped, erased, re-ranked) is told by that event instead. Explaining,
// the place is also computed after every entry, and each entry that moved it is kept as a cause.
void ReadModels::WalkStint(const App& a, uint64_t id, const HistoryEntry& start, uint64_t log_stop,
                           std::vector<Change>& out, Explaining* ex) const {
  const std::vector<QueueEvent>& log = queue_logs_[a.queue];
  KEZEK_ASSERT(start.log_end <= log_stop && log_stop <= log.size() && !out.empty());
  const QueueEntry self{start.tier, InstantMs{a.filed_at_ms}, ApplicationId{id}};
  const Line line = start.line;
  uint64_t rank = start.rank;
  const auto place_after = [&](const QueueEvent& event) {
    const uint64_t other_size = line == Line::Priority ? event.general_size : event.priority_size;
    return Queue::PlaceInIssueOrder(rank, line, other_size, Ratio{event.ratio_priority, event.ratio_general}, event.cycle);
  };
  for (uint64_t j = start.log_end; j < log_stop; ++j) {
    const QueueEvent& event = log[j];
    const bool same_line = event.line == line;
    const auto ahead = [&] {
      const QueueEntry other{event.tier, InstantMs{at(event.application).filed_at_ms}, ApplicationId{event.application}};
      KEZEK_ASSERT(other != self);  // its own entries end the stretch
      return other < self;
    };
    switch (event.kind) {
      case QueueEventKind::Inserted:
        if (same_line && ahead()) ++rank;
        break;
      case QueueEventKind::Erased:
        if (same_line && ahead()) --rank;
        break;
      case QueueEventKind::Popped:
        if (same_line) {
          KEZEK_ASSERT(event.application != id && rank > 1);  // the head of its line is ahead of it
          --rank;
        }
        break;
      case QueueEventKind::Reset:
        KEZEK_ASSERT(false && "a re-ranking ends every stretch of waiting in the queue");
        break;
    }
    if (ex != nullptr) {
      const uint64_t place = place_after(event);
      if (place != ex->tracked) {
        ex->pending.push_back(CauseEvent{CauseOf(event), static_cast<int64_t>(place) - static_cast<int64_t>(ex->tracked),
                                         event.application, event.sequence});
        ex->tracked = place;
      }
    }
    if (j + 1 < log.size() && log[j + 1].sequence == event.sequence) continue;  // the record goes on
    const uint64_t position = place_after(event);
    if (position != out.back().position) {
      out.push_back(Change{event.sequence, position, fb::PositionEvent::MovedByOthers});
      if (ex != nullptr) ex->causes->push_back(std::move(ex->pending));
    }
    if (ex != nullptr) ex->pending.clear();  // a record that moved it back where it was: nothing to tell
  }
}

fb::PositionCause ReadModels::CauseOf(const QueueEvent& event) const {
  switch (event.kind) {
    case QueueEventKind::Inserted: {
      // A return from the stop-list is the other application's own ReturnedToQueue at this record.
      for (uint32_t h = at(event.application).last_history; h != 0; h = history_[h - 1].previous) {
        const HistoryEntry& e = history_[h - 1];
        if (e.sequence < event.sequence) break;
        if (e.sequence == event.sequence && e.event == fb::PositionEvent::ReturnedToQueue) {
          return fb::PositionCause::ReturnedFromStopList;
        }
      }
      return event.line == Line::Priority ? fb::PositionCause::EnteredPriority : fb::PositionCause::EnteredGeneral;
    }
    case QueueEventKind::Erased:
      switch (at(event.application).archive_reason) {
        case fb::ArchiveReason::Withdrawn: return fb::PositionCause::Withdrawn;
        case fb::ArchiveReason::SchoolAge: return fb::PositionCause::SchoolAge;
        case fb::ArchiveReason::DocumentsRejected:
        case fb::ArchiveReason::Declined:
        case fb::ArchiveReason::NotEnrolledInTime:
        case fb::ArchiveReason::Enrolled: return fb::PositionCause::LeftOther;
      }
      return fb::PositionCause::LeftOther;
    case QueueEventKind::Popped: return fb::PositionCause::VoucherIssued;
    case QueueEventKind::Reset: return fb::PositionCause::PolicyChange;
  }
  return fb::PositionCause::LeftOther;
}

std::optional<std::vector<uint8_t>> ReadModels::Explain(uint64_t application, bool audit, uint32_t limit,
                                                        uint64_t before) const {
  const App* a = find(application);
  if (a == nullptr) return std::nullopt;
  std::vector<std::vector<CauseEvent>> causes;
  const std::vector<Change> changes = ChangesOf(*a, application, &causes);
  KEZEK_ASSERT(causes.size() == changes.size());
  flatbuffers::FlatBufferBuilder b(1024);
  std::vector<flatbuffers::Offset<fb::ExplainedChange>> out;
  const size_t end = static_cast<size_t>(std::min<uint64_t>(before, changes.size()));
  for (size_t i = end - std::min<size_t>(end, limit); i < end; ++i) {
    const Change& c = changes[i];
    const bool entering = c.event == fb::PositionEvent::EnteredQueue || c.event == fb::PositionEvent::ReturnedToQueue;
    std::optional<uint64_t> previous;
    if (!entering && i > 0) previous = changes[i - 1].position;
    // Sums by cause, in the order of the causes' enum.
    std::map<fb::PositionCause, std::pair<int64_t, uint32_t>> sums;
    int64_t total = 0;
    for (const CauseEvent& e : causes[i]) {
      auto& [delta, events] = sums[e.cause];
      delta += e.delta;
      ++events;
      total += e.delta;
    }
    const int64_t delta = previous ? static_cast<int64_t>(c.position) - static_cast<int64_t>(*previous) : 0;
    KEZEK_ASSERT(!previous || total == delta);  // the causes add up to the change
    std::vector<std::pair<fb::PositionCause, int64_t>> moved;
    std::vector<flatbuffers::Offset<fb::CauseSum>> o_sums;
    for (const auto& [cause, sum] : sums) {
      moved.emplace_back(cause, sum.first);
      o_sums.push_back(fb::CreateCauseSum(b, cause, sum.first, sum.second));
    }
    const messages::Text text = card_texts::PositionChange(c.event, previous, c.position, moved);
    const auto o_causes = b.CreateVector(o_sums);
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::CauseEvent>>> o_events = 0;
    if (audit) {
      std::vector<flatbuffers::Offset<fb::CauseEvent>> events;
      for (const CauseEvent& e : causes[i]) {
        if (events.size() == kExplainEventsMax) break;
        events.push_back(fb::CreateCauseEvent(b, e.cause, e.delta, e.application, e.sequence));
      }
      o_events = b.CreateVector(events);
    }
    const auto o_ru = b.CreateString(text.ru);
    const auto o_kk = b.CreateString(text.kk);
    fb::ExplainedChangeBuilder change(b);
    change.add_sequence(c.sequence);
    change.add_engine_time_ms(TimeOf(c.sequence));
    change.add_event(c.event);
    change.add_position(c.position);
    if (previous) change.add_previous_position(*previous);
    change.add_delta(delta);
    change.add_causes(o_causes);
    if (audit) change.add_events(o_events);
    change.add_events_total(static_cast<uint32_t>(causes[i].size()));
    change.add_text_ru(o_ru);
    change.add_text_kk(o_kk);
    out.push_back(change.Finish());
  }
  const auto o_changes = b.CreateVector(out);
  flatbuffers::Offset<fb::QueueKeyView> o_key = 0;
  if (a->queue != kNoQueue) o_key = BuildKey(b, queues_[a->queue].key());
  fb::ExplanationBuilder view(b);
  view.add_application(application);
  view.add_status(a->status);
  if (a->status == fb::ApplicationStatus::InQueue) view.add_position(LivePosition(*a, application));
  if (a->queue != kNoQueue) view.add_queue(o_key);
  view.add_changes(o_changes);
  view.add_sequence(next_sequence_);
  view.add_audit(audit);
  view.add_changes_total(changes.size());
  b.Finish(view.Finish());
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

std::optional<std::vector<uint8_t>> ReadModels::Position(uint64_t application, uint32_t history_limit,
                                                         uint64_t before) const {
  const App* a = find(application);
  if (a == nullptr) return std::nullopt;
  history_limit = std::min(history_limit, kPositionHistoryLimit);
  flatbuffers::FlatBufferBuilder b(512);
  const std::vector<Change> changes = ChangesOf(*a, application);
  std::vector<flatbuffers::Offset<fb::PositionChange>> history;
  const size_t end = static_cast<size_t>(std::min<uint64_t>(before, changes.size()));
  for (size_t i = end - std::min<size_t>(end, history_limit); i < end; ++i) {
    const Change& c = changes[i];
    history.push_back(fb::CreatePositionChange(b, c.sequence, TimeOf(c.sequence), c.position, c.event));
  }
  const auto o_history = b.CreateVector(history);
  flatbuffers::Offset<fb::QueueKeyView> o_key = 0;
  if (a->queue != kNoQueue) o_key = BuildKey(b, queues_[a->queue].key());
  fb::PositionViewBuilder view(b);
  view.add_application(application);
  if (a->status == fb::ApplicationStatus::InQueue) view.add_position(LivePosition(*a, application));
  if (a->queue != kNoQueue) {
    view.add_queue(o_key);
    view.add_queue_length(queues_[a->queue].size());
  }
  view.add_history(o_history);
  view.add_history_total(changes.size());
  view.add_sequence(next_sequence_);
  b.Finish(view.Finish());
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

std::vector<uint8_t> ReadModels::Catalogue(const CatalogueFilter& filter) const {
  const ReadModels* self = this;
  return CatalogueAcross(std::span(&self, 1), filter);
}

std::vector<uint8_t> ReadModels::CatalogueAcross(std::span<const ReadModels* const> partitions, const CatalogueFilter& filter) {
  // The catalogue reaches every partition; a group's taken places only its locality's.
  const ReadModels& any = *partitions.front();
  const auto& localities_ = any.localities_;
  const auto& kindergartens_ = any.kindergartens_;
  const auto n = static_cast<uint32_t>(partitions.size());
  uint64_t sequence = 0;
  for (const ReadModels* m : partitions) sequence += m->next_sequence_;
  flatbuffers::FlatBufferBuilder b(4096);
  const bool group_filter = filter.language || filter.correction_type || filter.free_only;
  std::vector<flatbuffers::Offset<fb::LocalityView>> localities;
  for (const auto& [id, locality] : localities_) {
    if (filter.locality && *filter.locality != id) continue;
    const auto name_ru = b.CreateString(locality.name_ru), name_kk = b.CreateString(locality.name_kk);
    const auto region = b.CreateString(locality.region_code);
    localities.push_back(fb::CreateLocalityView(b, id, name_ru, name_kk, region));
  }
  std::vector<flatbuffers::Offset<fb::KindergartenView>> kindergartens;
  for (const auto& [id, kindergarten] : kindergartens_) {
    if (filter.locality && *filter.locality != kindergarten.locality) continue;
    if (filter.kindergarten && *filter.kindergarten != id) continue;
    std::vector<flatbuffers::Offset<fb::GroupView>> groups;
    const ReadModels& owner = *partitions[kindergarten.locality % n];
    for (const uint32_t group_id : kindergarten.groups) {
      const GroupInfo& g = owner.groups_.at(group_id);
      const uint32_t free_places = g.capacity > g.taken ? g.capacity - g.taken : 0;
      if (filter.language && *filter.language != g.language) continue;
      if (filter.correction_type && *filter.correction_type != g.correction) continue;
      if (filter.free_only && free_places == 0) continue;
      groups.push_back(fb::CreateGroupView(b, group_id, id, g.language, g.min_age_years, g.max_age_years, g.correction,
                                           g.capacity, g.taken, free_places));
    }
    if (group_filter && groups.empty()) continue;
    const auto name_ru = b.CreateString(kindergarten.name_ru), name_kk = b.CreateString(kindergarten.name_kk);
    kindergartens.push_back(fb::CreateKindergartenView(b, id, kindergarten.locality, name_ru, name_kk, b.CreateVector(groups)));
  }
  b.Finish(fb::CreateCatalogueDirect(b, &localities, &kindergartens, sequence));
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

std::vector<uint8_t> ReadModels::Statistics() const {
  const ReadModels* self = this;
  return StatisticsAcross(std::span(&self, 1));
}

std::vector<uint8_t> ReadModels::StatisticsAcross(std::span<const ReadModels* const> partitions) {
  flatbuffers::FlatBufferBuilder b(4096);
  // Each queue lives in its locality's partition; in key order as one engine keeps them.
  std::vector<std::tuple<QueueKey, const ReadModels*, uint32_t>> keyed;
  std::map<uint32_t, Popularity> popularity;
  uint64_t waiting = 0, sequence = 0;
  for (const ReadModels* m : partitions) {
    for (const auto& [key, index] : m->queue_index_) keyed.emplace_back(key, m, index);
    for (const auto& [id, p] : m->popularity_) {
      popularity[id].requests += p.requests;
      popularity[id].enrollments += p.enrollments;
    }
    waiting += m->waiting_;
    sequence += m->next_sequence_;
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& x, const auto& y) { return std::get<0>(x) < std::get<0>(y); });
  std::vector<flatbuffers::Offset<fb::QueueLength>> queues;
  for (const auto& [key, m, index] : keyed) {
    const Queue& q = m->queues_[index];
    queues.push_back(fb::CreateQueueLength(b, m->BuildKey(b, key), q.size(), q.size(Line::Priority), q.size(Line::General)));
  }
  std::vector<std::pair<uint32_t, Popularity>> ranked(popularity.begin(), popularity.end());
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& x, const auto& y) { return x.second.requests > y.second.requests; });
  std::vector<flatbuffers::Offset<fb::KindergartenPopularity>> popular;
  const auto& kindergartens = partitions.front()->kindergartens_;  // the catalogue reaches every partition
  for (const auto& [id, p] : ranked) {
    const auto it = kindergartens.find(id);
    const KindergartenInfo empty;
    const KindergartenInfo& k = it != kindergartens.end() ? it->second : empty;
    const auto name_ru = b.CreateString(k.name_ru), name_kk = b.CreateString(k.name_kk);
    popular.push_back(fb::CreateKindergartenPopularity(b, id, k.locality, name_ru, name_kk, p.requests, p.enrollments));
  }
  b.Finish(fb::CreateQueueStatisticsDirect(b, &queues, waiting, &popular, sequence));
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

std::optional<std::string> ReadModels::ApplicantOf(uint64_t application) const {
  const App* a = find(application);
  if (a == nullptr) return std::nullopt;
  return FormatIin(Iin{a->applicant});
}

std::optional<uint32_t> ReadModels::KindergartenOf(uint64_t application) const {
  const App* a = find(application);
  if (a == nullptr) return std::nullopt;
  if (a->group != 0) return groups_.at(a->group).kindergarten;
  if (a->preferred_kindergarten != 0) return a->preferred_kindergarten;
  return std::nullopt;
}

// --- hash and memory ----------------------------------------------------------------------------

// The canonical encoding: every model in a fixed order, each container in its key order, every
// field little-endian, strings length-prefixed. The inbox index is left out: it is derived from
// the notes (and hashing a hash table would need a sort).
Sha256 ReadModels::Hash() const {
  Canon c;
  c.Int(next_sequence_);
  c.Int(waiting_);
  // In number order, each with its child's name (the names' arena is in the order of arrival,
  // which a load from the store does not repeat).
  const std::vector<uint64_t> numbers = AppNumbers();
  c.Int(uint64_t{numbers.size()});
  for (const uint64_t id : numbers) {
    const App& a = at(id);
    c.Int(id), c.Text(ChildName(a));
    c.Int(a.applicant), c.Int(a.child), c.Int(a.filed_at_ms), c.Int(a.stamped_ms), c.Int(a.deadline_ms);
    c.Int(a.voucher), c.Int(a.locality), c.Int(a.queue), c.Int(a.preferred_kindergarten);
    c.Int(a.group), c.Int(a.last_history), c.Int(a.deadline_date), c.Int(a.category);
    c.Int(a.tier), c.Int(a.line), c.Int(a.type), c.Int(a.language), c.Int(a.correction), c.Int(a.financing);
    c.Int(a.status), c.Int(a.status_before_archive), c.Int(a.archive_reason), c.Int(a.deadline);
    c.Int(a.extension_used);
  }
  c.Int(uint64_t{categories_.size()});
  for (const std::string& category : categories_) c.Text(category);
  c.Int(uint64_t{pool_.size()});
  for (const std::string& text : pool_) c.Text(text);
  c.Int(uint64_t{notes_.size()});
  for (const Note& n : notes_) c.Int(n.sequence), c.Int(n.application), c.Int(n.index_and_kind), c.Int(n.arg);
  c.Int(uint64_t{spelled_.size()});
  for (const auto& [index, text] : spelled_) c.Int(index), c.Text(text.ru), c.Text(text.kk);
  c.Int(uint64_t{history_.size()});
  for (const HistoryEntry& e : history_) {
    c.Int(e.sequence), c.Int(e.position), c.Int(e.previous), c.Int(e.rank), c.Int(e.log_end), c.Int(e.tier);
    c.Int(e.line), c.Int(e.event);
  }
  c.Int(uint64_t{queue_logs_.size()});
  for (const std::vector<QueueEvent>& log : queue_logs_) {
    c.Int(uint64_t{log.size()});
    for (const QueueEvent& e : log) {
      c.Int(e.sequence), c.Int(e.application), c.Int(e.priority_size), c.Int(e.general_size), c.Int(e.cycle);
      c.Int(e.ratio_priority), c.Int(e.ratio_general), c.Int(e.tier), c.Int(e.line), c.Int(e.kind);
    }
  }
  c.Int(uint64_t{times_.size()});
  for (const auto& [sequence, time] : times_) c.Int(sequence), c.Int(time);
  c.Int(uint64_t{queues_.size()});
  for (const Queue& q : queues_) {
    const QueueKey& k = q.key();
    c.Int(k.locality.value), c.Int(k.type), c.Int(k.birth_year), c.Int(k.language), c.Int(k.correction);
    c.Int(q.cycle()), c.Int(q.size());
    q.ForEach([&](const QueueEntry& e, Line line) {
      c.Int(e.tier), c.Int(e.filed_at.value), c.Int(e.application.value), c.Int(line);
    });
  }
  c.Int(uint64_t{policies_.size()});
  for (const auto& [locality, policy] : policies_) {
    c.Int(locality), c.Int(policy.ratio.priority), c.Int(policy.ratio.general), c.Int(uint64_t{policy.tiers.size()});
    for (const Tier& tier : policy.tiers) {
      c.Text(tier.code), c.Int(tier.general_line), c.Int(uint64_t{tier.categories.size()});
      for (const std::string& category : tier.categories) c.Text(category);
    }
  }
  c.Int(uint64_t{offsets_.entries().size()});
  for (const auto& [locality, timeline] : offsets_.entries()) {
    c.Int(locality.value), c.Int(uint64_t{timeline.size()});
    for (const auto& [from, minutes] : timeline) c.Int(from.value), c.Int(minutes);
  }
  c.Int(uint64_t{localities_.size()});
  for (const auto& [id, l] : localities_) c.Int(id), c.Text(l.name_ru), c.Text(l.name_kk), c.Text(l.region_code);
  c.Int(uint64_t{kindergartens_.size()});
  for (const auto& [id, k] : kindergartens_) {
    c.Int(id), c.Int(k.locality), c.Text(k.name_ru), c.Text(k.name_kk), c.Int(uint64_t{k.groups.size()});
    for (const uint32_t group : k.groups) c.Int(group);
  }
  c.Int(uint64_t{groups_.size()});
  for (const auto& [id, g] : groups_) {
    c.Int(id), c.Int(g.kindergarten), c.Int(g.language), c.Int(g.min_age_years), c.Int(g.max_age_years);
    c.Int(g.correction), c.Int(g.capacity), c.Int(g.taken);
  }
  c.Int(uint64_t{popularity_.size()});
  for (const auto& [id, p] : popularity_) c.Int(id), c.Int(p.requests), c.Int(p.enrollments);
  return c.End();
}

uint64_t ReadModels::MemoryBytes() const {
  const auto heap = [](const std::string& s) -> uint64_t { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  uint64_t bytes = sizeof(*this);
  for (const auto& [locality, apps] : apps_) bytes += sizeof(locality) + sizeof(apps) + apps.capacity() * sizeof(App);
  bytes += names_.capacity();
  for (const std::string& s : categories_) bytes += sizeof(s) + heap(s);
  for (const std::string& s : pool_) bytes += 2 * (sizeof(s) + heap(s)) + 48;  // vector + map node
  bytes += notes_.capacity() * sizeof(Note) + history_.capacity() * sizeof(HistoryEntry);
  bytes += times_.capacity() * sizeof(times_[0]);
  for (const auto& [index, text] : spelled_) bytes += 48 + sizeof(text) + heap(text.ru) + heap(text.kk);
  bytes += inbox_.capacity() * (sizeof(std::pair<uint64_t, std::vector<uint32_t>>) + 1);
  for (const auto& [iin, list] : inbox_) bytes += list.capacity() * sizeof(uint32_t);
  // Queue trees: one node per waiting application (key, three pointers, colour, subtree size).
  bytes += waiting_ * (sizeof(QueueEntry) + 4 * sizeof(void*));
  bytes += queues_.capacity() * sizeof(Queue) + queue_index_.size() * (sizeof(QueueKey) + 48);
  bytes += queue_logs_.capacity() * sizeof(queue_logs_[0]);
  for (const auto& log : queue_logs_) bytes += log.capacity() * sizeof(QueueEvent);
  for (const auto& [id, k] : kindergartens_) bytes += 48 + sizeof(k) + heap(k.name_ru) + heap(k.name_kk) + k.groups.capacity() * 4;
  bytes += groups_.size() * (48 + sizeof(GroupInfo)) + popularity_.size() * (48 + sizeof(Popularity));
  for (const auto& [id, l] : localities_) bytes += 48 + sizeof(l) + heap(l.name_ru) + heap(l.name_kk) + heap(l.region_code);
  return bytes;
}

}  // namespace kezek::projections
