// The read models behind the portal's screens, fed by journal records alone (DESIGN §5): the
// «Мои заявки» cards, each applicant's «Входящие», live positions and their history, the
// catalogue with free places, queue statistics and «Статистика популярных ДО», and the feed of
// every notification for a sender. No model reads the engine's State: what a record lacks, its
// decisions gained (schemas/decisions.fbs), or the record's verbatim action holds.
//
// Views are finished FlatBuffers of schemas/views.fbs tables: the HTTP server prints them as they
// are. Pure: no clock, no I/O; the same records give the same views and the same Hash().
//
// Positions are the engine's own: each queue is mirrored with engine/queue.h's Queue (ranked
// sets, engine/ranked_set.h), entered on EnteredQueue/ReturnedToQueue, popped on VoucherIssued,
// erased on an archival while waiting; a priority-policy change re-ranks the queues it governs with
// the engine's pure PlaceOrLast, exactly as the engine does (docs/architecture.md, "Read models").
// Every entering and popping is checked against the decision (assertions stay on in release).
//
// Position history: every change of an application's place, its own (entering, returning,
// re-ranking, leaving) and those others cause (entering ahead, leaving, vouchers, the ratio cycle).
// Each mirrored queue keeps an append-only log of what changed its order (QueueEvent); an
// application's history holds only its own events, each with its rank in its line and the log's
// length then. The changes others caused are computed on read by walking its queue's log from each
// of its own entering or re-ranking (docs/architecture.md, "Read models").
//
// Thread-safety: none; the caller serialises Apply and the reads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "engine/calendar.h"
#include "engine/messages.h"
#include "engine/schemas_fwd.h"
#include "engine/sha256.h"
#include "engine/state.h"
#include "views_generated.h"

namespace kezek::projections {

// Every field unset: the whole catalogue. Groups must pass all the group fields that are set; a
// kindergarten is listed if it passes locality/kindergarten and, when a group field is set, has a
// group that passes.
struct CatalogueFilter {
  std::optional<uint32_t> locality;
  std::optional<uint32_t> kindergarten;
  std::optional<fb::Language> language;
  std::optional<fb::CorrectionType> correction_type;
  bool free_only = false;  // only groups with a free place
};

// A notification's cursor: (sequence << kCursorIndexBits | decision index) + 1; 0 is the start.
inline constexpr int kCursorIndexBits = 24;
// The most items one page of an inbox or the feed holds; a larger limit is cut to it.
inline constexpr uint32_t kPageLimitMax = 1'000;
// The most changes one position view lists (the newest); the view tells how many there are.
inline constexpr uint32_t kPositionHistoryLimit = 100;
// The most events one explained change lists (its causes' sums count them all).
inline constexpr uint32_t kExplainEventsMax = 1'000;
uint64_t CursorOf(uint64_t sequence, uint32_t decision_index);

// The partition that holds locality `locality` among `partitions` (the Kafka router's rule).
inline constexpr uint32_t PartitionOfLocality(uint32_t locality, uint32_t partitions) { return locality % partitions; }

class ReadModels {
 public:
  ReadModels();
  ReadModels(const ReadModels&) = delete;
  ReadModels& operator=(const ReadModels&) = delete;
  ReadModels(ReadModels&&) = default;
  ReadModels& operator=(ReadModels&&) = default;

  // Applies one journal record (a verified JournalRecord buffer).
  // REQUIRES: records in sequence order, each once (asserted), from an engine's journal (a
  // decision that contradicts the mirrored queues is an assertion).
  void Apply(std::span<const uint8_t> record);
  // The sequence of the next record expected (0 before any).
  uint64_t next_sequence() const { return next_sequence_; }
  // Every version of the message templates the journal posted (SetMessageTemplates).
  const messages::TemplateBook& templates() const { return templates_; }

  // Views as finished FlatBuffers of schemas/views.fbs tables; nullopt when the application is unknown.
  std::optional<std::vector<uint8_t>> Card(uint64_t application) const;     // fb::ApplicationCard
  // fb::PositionView: the live position and the newest `history_limit` (at most
  // kPositionHistoryLimit) changes of its place among those numbered below `before` (0-based, in
  // the order they happened; a page back from the first one shown). Cost: O(log n) for the
  // position, and a walk of its queue's log from the application's first entering for the history.
  std::optional<std::vector<uint8_t>> Position(uint64_t application, uint32_t history_limit = kPositionHistoryLimit,
                                               uint64_t before = UINT64_MAX) const;
  // fb::Explanation: every change of the application's place, oldest first, each split into the
  // events of others that caused it (their deltas add up to the change), with the family's text in
  // Russian and Kazakh; `audit`: each event also names the other application and its record.
  // Like Position, it lists the newest `limit` changes of those numbered below `before`, and at
  // most kExplainEventsMax events a change. Cost: the walk Position makes, and the history of
  // each application that entered ahead.
  std::optional<std::vector<uint8_t>> Explain(uint64_t application, bool audit, uint32_t limit = UINT32_MAX,
                                              uint64_t before = UINT64_MAX) const;
  // fb::Inbox: the applicant's notifications with a cursor above `after_cursor`, oldest first, at
  // most `limit` (0: none, only the totals). An unknown IIN gives an empty inbox.
  std::vector<uint8_t> Inbox(std::string_view applicant_iin, uint64_t after_cursor, uint32_t limit) const;
  // fb::ApplicationList: the «Мои заявки» list of cards, in application order.
  std::vector<uint8_t> Applications(std::string_view applicant_iin) const;
  std::vector<uint8_t> Catalogue(const CatalogueFilter& filter) const;     // fb::Catalogue
  std::vector<uint8_t> Statistics() const;                                 // fb::QueueStatistics
  // The same three views over a country whose journal is split in partitions (the Kafka runtime:
  // locality L in partition L mod N, adapters/kafka/router.h), `partitions` by partition number,
  // as one journal gives them: each partition holds its localities' applications and queues; the
  // catalogue reaches every partition, a group's taken places counted in its locality's. A view's
  // `sequence` is then the sum of the partitions' (records reflected in all).
  static std::vector<uint8_t> ApplicationsAcross(std::span<const ReadModels* const> partitions,
                                                 std::string_view applicant_iin);
  static std::vector<uint8_t> CatalogueAcross(std::span<const ReadModels* const> partitions, const CatalogueFilter& filter);
  static std::vector<uint8_t> StatisticsAcross(std::span<const ReadModels* const> partitions);
  // fb::NotificationFeed: every notification with a cursor above `after_cursor`, in journal order.
  std::vector<uint8_t> Feed(uint64_t after_cursor, uint32_t limit) const;

  // The applicant's IIN (12 digits), for the server's access check; nullopt when unknown.
  std::optional<std::string> ApplicantOf(uint64_t application) const;
  // The ДО the application asked for enrollment in (or is enrolled in; for the special queue,
  // chosen at filing until then); nullopt when none or unknown.
  std::optional<uint32_t> KindergartenOf(uint64_t application) const;
  // Applications waiting in all queues, for /metrics.
  uint64_t waiting() const { return waiting_; }
  // --- The stored form (projections/read_models_store.cc; adapters keep it in RocksDB) ----------
  // One keyspace of entries: a kind byte and a big-endian id or index as the key, bytes::Out
  // encodings as values (docs/architecture.md, "Read models"). A function of the records applied:
  // the entries after the same records are the same bytes, however they were drained.
  using PutEntry = std::function<void(std::string_view key, std::string_view value)>;
  // The entries changed since the last drain (or load), in key order, the meta entry last.
  void DrainChanges(const PutEntry& put);
  // Every entry, in key order.
  void AllEntries(const PutEntry& put) const;
  // Loading into a new ReadModels: every stored entry in key order, then FinishLoad, which
  // rebuilds what is derived (inboxes, queue trees, indexes). False: the entries do not decode or
  // disagree with each other (the caller rebuilds from the journal); for the second, the first
  // disagreement found, naming the entries, in *why when given.
  [[nodiscard]] bool LoadEntry(std::string_view key, std::string_view value);
  [[nodiscard]] bool FinishLoad(std::string* why = nullptr);
  // The stored form's version; a store of another version is rebuilt.
  static constexpr uint32_t kStoreFormat = 3;  // 3: country-wide application numbers

  // SHA-256 of a canonical encoding of every read model: equal after a rebuild from the same journal.
  Sha256 Hash() const;
  // Bytes held by the read models (containers' capacity and heap strings; an estimate of the
  // allocator's view), for docs/architecture.md's memory figures and /metrics.
  uint64_t MemoryBytes() const;

 private:
  static constexpr uint32_t kNoQueue = UINT32_MAX;

  // One application, compact: ids, enums and offsets only; strings live in arenas or pools.
  struct App {
    uint64_t applicant = 0;   // IIN as a number; 0: no such application
    uint64_t child = 0;
    int64_t filed_at_ms = 0;
    int64_t stamped_ms = 0;
    int64_t deadline_ms = 0;
    uint64_t voucher = 0;
    uint32_t name_offset = 0;  // child's name in names_
    uint32_t locality = 0;
    uint32_t queue = kNoQueue;  // index into queues_ once it entered one
    uint32_t preferred_kindergarten = 0;  // special queue: the ДО chosen at filing
    uint32_t group = 0;
    uint32_t last_history = 0;  // index + 1 into history_ of its latest entry; 0: none
    int32_t deadline_date = 0;  // LocalDate
    uint16_t name_length = 0;
    uint16_t category = 0;      // index into categories_
    uint8_t tier = 0;
    Line line = Line::General;
    fb::QueueType type = fb::QueueType::General;
    fb::Language language = fb::Language::Kk;
    fb::CorrectionType correction = fb::CorrectionType::None;
    fb::Financing financing = fb::Financing::VirtualVoucher;
    fb::ApplicationStatus status = fb::ApplicationStatus::AwaitingDocuments;
    fb::ApplicationStatus status_before_archive = fb::ApplicationStatus::AwaitingDocuments;
    fb::ArchiveReason archive_reason = fb::ArchiveReason::DocumentsRejected;
    fb::DeadlineKind deadline = fb::DeadlineKind::None;
    bool extension_used = false;
  };

  // A notification without its texts: they are re-rendered by engine/messages.h from `arg` and
  // the application, checked at Apply against the record's texts (else kept verbatim in spelled_).
  struct Note {
    uint64_t sequence = 0;
    uint64_t application = 0;
    uint32_t index_and_kind = 0;  // decision index << 8 | NotificationKind
    uint32_t arg = 0;             // position, date, reason or pool index, by kind
  };

  // One of the application's own events. Entering, returning and re-ranking start a stretch of
  // waiting: from there its rank in its line is known, and its queue's log from `log_end` on says
  // how others moved it, up to the log entry before the next own event's `log_end`. A re-ranking
  // is written for every member of a re-ranked queue (shown only when its place changed).
  struct HistoryEntry {
    uint64_t sequence = 0;
    uint32_t position = 0;
    uint32_t previous = 0;  // index + 1 of the application's previous entry; 0: none
    uint32_t rank = 0;      // 1-based rank in its line right after; 0 when it left
    uint32_t log_end = 0;   // its queue's log length right after this event
    uint8_t tier = 0;       // its tier and line right after (while waiting)
    Line line = Line::General;
    fb::PositionEvent event = fb::PositionEvent::EnteredQueue;
  };

  // One change of a queue's order, with what is needed to place any member after it: the entry
  // (its application; the filing instant is the application's), the lines' sizes, the ratio and
  // the cycle right after. DO NOT CHANGE these values: they are stored.
  enum class QueueEventKind : uint8_t { Inserted = 0, Erased = 1, Popped = 2, Reset = 3 };
  struct QueueEvent {
    uint64_t sequence = 0;
    uint64_t application = 0;  // 0 for a reset
    uint32_t priority_size = 0;
    uint32_t general_size = 0;
    uint32_t cycle = 0;
    uint16_t ratio_priority = 0;
    uint16_t ratio_general = 0;
    uint8_t tier = 0;
    Line line = Line::General;
    QueueEventKind kind = QueueEventKind::Inserted;
  };

  // One change of an application's place as the view lists it.
  struct Change {
    uint64_t sequence = 0;
    uint64_t position = 0;
    fb::PositionEvent event = fb::PositionEvent::EnteredQueue;
  };

  struct LocalityInfo {
    std::string name_ru, name_kk, region_code;
  };
  struct KindergartenInfo {
    uint32_t locality = 0;
    std::string name_ru, name_kk;
    std::vector<uint32_t> groups;  // ascending
  };
  struct GroupInfo {
    uint32_t kindergarten = 0;
    fb::Language language = fb::Language::Kk;
    uint8_t min_age_years = 0, max_age_years = 0;
    fb::CorrectionType correction = fb::CorrectionType::None;
    uint32_t capacity = 0, taken = 0;
  };
  struct Popularity {
    uint64_t requests = 0, enrollments = 0;
  };

  // Applying one record: its decisions in order (expiries first, then the action's), then what
  // the applied action itself changes (catalogue, offsets, policy).
  void ApplyDecision(const fb::JournalRecord& record, const fb::Decision& decision, uint32_t index);
  void ApplyAction(uint64_t sequence, const fb::Action& action);
  void Accept(const fb::JournalRecord& record, const fb::ApplicationAccepted& accepted);
  void Enter(uint64_t sequence, uint64_t id, const QueueKey& key, uint8_t tier, fb::QueueLine line,
             int64_t filed_at_ms, uint64_t position, fb::PositionEvent event);
  void Notify(const fb::JournalRecord& record, const fb::Notification& n, uint32_t index);
  void SetPolicy(uint64_t sequence, const fb::SetPriorityPolicy& a);
  // A deadline from a decision's fields; the date is also what the next notification tells.
  void SetDeadline(App& a, fb::DeadlineKind kind, int64_t deadline_ms, int32_t deadline_yyyymmdd);
  void UpsertGroup(const fb::UpsertGroup& a);
  // `rank`: its rank in its line right after (0 when it left the queue).
  void AddHistory(uint64_t sequence, App& app, uint64_t id, uint64_t position, uint64_t rank, fb::PositionEvent event);
  // Appends to queue `queue`'s log what just changed it (its sizes and cycle are read now).
  void LogQueue(uint64_t sequence, uint32_t queue, QueueEventKind kind, uint64_t application, uint8_t tier, Line line);
  // The rank in its line of a waiting application standing at `position` (inverts the order of issue).
  uint64_t RankOf(const App& app, uint64_t position) const;
  // One event of another application that moved this one's place, and by how much (Explain).
  struct CauseEvent {
    fb::PositionCause cause = fb::PositionCause::EnteredPriority;
    int64_t delta = 0;
    uint64_t application = 0;
    uint64_t sequence = 0;
  };
  // Explaining a walk: the events since the last change listed, and the place after them.
  struct Explaining {
    std::vector<std::vector<CauseEvent>>* causes = nullptr;  // one list per change listed
    std::vector<CauseEvent> pending;
    uint64_t tracked = 0;
  };
  // Every change of the application's place, oldest first: its own events, and after every record
  // that moved it while it waited, its place after that record (MovedByOthers). With `causes`,
  // also the events behind each change (causes->size() == the changes'), for Explain.
  std::vector<Change> ChangesOf(const App& app, uint64_t id, std::vector<std::vector<CauseEvent>>* causes = nullptr) const;
  void WalkStint(const App& app, uint64_t id, const HistoryEntry& start, uint64_t log_stop,
                 std::vector<Change>& out, Explaining* explaining) const;
  // What a queue log entry is, as a cause of others' moves.
  fb::PositionCause CauseOf(const QueueEvent& event) const;
  // Remembers the engine time of the record being applied, for the notes and history it leaves.
  void NoteTime(uint64_t sequence);

  App& app(uint64_t id);
  const App* find(uint64_t id) const;
  const App& at(uint64_t id) const;  // REQUIRES: find(id)
  // The room for application `id`, made if missing (REQUIRES: LocalityOfNumber(id)).
  App& Room(uint64_t id);
  // The numbers of the accepted applications, ascending.
  std::vector<uint64_t> AppNumbers() const;
  QueueEntry EntryOf(const App& app, uint64_t id) const;
  Ratio RatioOf(uint32_t locality) const;
  const PriorityPolicy& PolicyOf(uint32_t locality) const;
  uint64_t LivePosition(const App& app, uint64_t id) const;
  uint32_t QueueFor(const QueueKey& key);
  uint32_t Intern(std::string_view text);
  std::string_view ChildName(const App& app) const;
  int64_t TimeOf(uint64_t sequence) const;
  std::string LocalText(uint32_t locality, int64_t instant_ms, bool seconds) const;
  // A note's message in the catalogue's words (its names are views of the models' own strings).
  messages::Message MessageOf(const Note& note) const;
  messages::Text Render(const Note& note) const;
  // The version of the templates in force at `sequence` (0: none posted).
  uint32_t TemplatesAt(uint64_t sequence) const;
  flatbuffers::Offset<fb::ApplicationCard> BuildCard(flatbuffers::FlatBufferBuilder& b, uint64_t id) const;
  flatbuffers::Offset<fb::NotificationItem> BuildItem(flatbuffers::FlatBufferBuilder& b, uint32_t note_index) const;
  flatbuffers::Offset<fb::QueueKeyView> BuildKey(flatbuffers::FlatBufferBuilder& b, const QueueKey& key) const;

  // The stored form: what changed since the last drain. Keyed kinds are marked here; append-only
  // vectors are drained from the count already stored.
  void Touch(char kind, uint64_t id) { dirty_.emplace(kind, id); }
  void PutEntryOf(char kind, uint64_t id, const PutEntry& put) const;
  void PutMeta(const PutEntry& put) const;
  std::set<std::pair<char, uint64_t>> dirty_;
  struct Stored {
    uint64_t categories = 0, pool = 0, notes = 0, history = 0, times = 0, templates = 0;
  } stored_;

  uint64_t next_sequence_ = 0;
  uint64_t waiting_ = 0;

  // Applications by number (engine/numbers.h): by locality, at [serial - 1]; applicant 0 marks a
  // serial not accepted (yet). Walks in number order go through AppNumbers().
  absl::flat_hash_map<uint32_t, std::vector<App>> apps_;
  std::string names_;           // children's names, back to back (App::name_offset/name_length)
  std::vector<std::string> categories_;  // interned priority category codes
  std::map<std::string, uint16_t, std::less<>> category_index_;
  std::vector<std::string> pool_;        // interned texts of notifications (specialists, ДО names)
  std::map<std::string, uint32_t, std::less<>> pool_index_;

  std::vector<Note> notes_;     // every notification, in journal order
  std::map<uint32_t, messages::Text> spelled_;  // notes_ index -> texts the renderer does not reproduce
  messages::Text rendered_;                     // Notify's: a note's words, compared with its record's
  // The posted message templates (SetMessageTemplates), and the sequence of the record that
  // posted each version: a note is worded in the version in force at its record.
  messages::TemplateBook templates_;
  std::vector<uint64_t> templates_since_;  // [version - 1]
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> inbox_;  // applicant IIN -> notes_ indexes
  std::vector<HistoryEntry> history_;
  std::vector<std::pair<uint64_t, int64_t>> times_;  // (sequence, engine time) of records that left notes or history

  std::vector<Queue> queues_;
  std::vector<std::vector<QueueEvent>> queue_logs_;  // by queue index, parallel to queues_
  std::map<QueueKey, uint32_t> queue_index_;
  std::map<uint32_t, PriorityPolicy> policies_;  // locality 0: the default
  UtcOffsets offsets_;
  std::map<uint32_t, LocalityInfo> localities_;
  std::map<uint32_t, KindergartenInfo> kindergartens_;
  std::map<uint32_t, GroupInfo> groups_;
  std::map<uint32_t, Popularity> popularity_;

  // What a notification's text needs from the decision just before it (the engine writes each
  // notification right after the decision it tells of); kept across records, so that a split of
  // one input's decisions over consecutive records (DESIGN §5) cannot separate the two.
  uint32_t pending_arg_ = 0;
  int64_t record_time_ms_ = 0;
};

}  // namespace kezek::projections
