#include "replay/verify.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <thread>

#include <fmt/format.h>

#include "engine/engine.h"
#include "events/chain_hasher.h"
#include "events/codec.h"
#include "events/input.h"
#include "events/journal_chain.h"
#include "events/state_hasher.h"
#include "projections/summary.h"

namespace kezek::replay {
namespace {

using projections::Hex;
using projections::JsonQuoted;

constexpr uint64_t kProgressEvery = 4096;  // records between progress calls
constexpr size_t kContextBytes = 240;      // JSON kept each side of the first difference

// A cut of `text` around `at` that starts and ends on UTF-8 character boundaries.
std::string Around(const std::string& text, size_t at) {
  const auto boundary = [&](size_t i) {
    while (i > 0 && i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
    return i;
  };
  const size_t from = boundary(at > kContextBytes ? at - kContextBytes : 0);
  const size_t to = boundary(std::min(text.size(), at + kContextBytes));
  return (from > 0 ? "…" : "") + text.substr(from, to - from) + (to < text.size() ? "…" : "");
}

// The name of the last `"field":` that opens before `at` in printed JSON ("" if none).
std::string FieldAt(const std::string& json, size_t at) {
  for (size_t colon = json.rfind("\":", at); colon != std::string::npos && colon > 0;
       colon = json.rfind("\":", colon - 1)) {
    const size_t open = json.rfind('"', colon - 1);
    if (open == std::string::npos) return "";
    const std::string name = json.substr(open + 1, colon - open - 1);
    if (!name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos) return name;
    if (open == 0) return "";
    colon = open;  // a string value that ends in ':' — look further back
  }
  return "";
}

// The fold's records come with prev_sha256 left as zeros (Engine::HashRecords(false)): the journal's
// side hashes every record anyway, and while the fold agrees with the journal the SHA-256 of the
// fold's previous record is that of the journal's previous record. So the fold's core hashes
// nothing; `prev` (the hash of the record before) is put in where the engine left zeros.
using events::PrevSha256At;

// The fold's record, whole: its prev_sha256 filled in.
std::vector<uint8_t> Whole(std::span<const uint8_t> fold_record, const Sha256& prev) {
  std::vector<uint8_t> whole(fold_record.begin(), fold_record.end());
  std::copy(prev.begin(), prev.end(), whole.begin() + static_cast<ptrdiff_t>(PrevSha256At(fold_record)));
  return whole;
}

// Whether the fold's record with prev_sha256 = `prev` equals `found`, byte for byte.
bool Same(std::span<const uint8_t> fold_record, const Sha256& prev, std::span<const uint8_t> found) {
  if (fold_record.size() != found.size()) return false;
  const size_t at = PrevSha256At(fold_record);
  const size_t after = at + prev.size();
  return std::equal(fold_record.begin(), fold_record.begin() + static_cast<ptrdiff_t>(at), found.begin()) &&
         std::equal(prev.begin(), prev.end(), found.begin() + static_cast<ptrdiff_t>(at)) &&
         std::equal(fold_record.begin() + static_cast<ptrdiff_t>(after), fold_record.end(),
                    found.begin() + static_cast<ptrdiff_t>(after));
}

bool ValidRecord(const std::vector<uint8_t>& bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  return fb::VerifyJournalRecordBuffer(verifier);
}

Divergence Differ(const events::Codec& codec, uint64_t sequence, uint64_t input, std::span<const uint8_t> expected,
                  const std::vector<uint8_t>& found) {
  Divergence d;
  d.record = sequence;
  d.input = input;
  const std::string want = codec.RecordToJson(expected);
  if (!ValidRecord(found)) {
    d.what = fmt::format("record {} is no journal record (it fails the FlatBuffers Verifier); the fold of input {} gives "
                         "another", sequence, input);
    d.expected = Around(want, 0);
    return d;
  }
  const std::string got = codec.RecordToJson(found);
  size_t at = 0;
  while (at < want.size() && at < got.size() && want[at] == got[at]) ++at;
  d.field = FieldAt(want, at);
  d.expected = Around(want, at);
  d.found = Around(got, at);
  const fb::JournalRecord* f = fb::GetJournalRecord(found.data());
  if (want == got) {
    d.what = fmt::format("record {} differs from the fold of input {} in bytes its JSON does not show", sequence, input);
  } else if (f->sequence() != sequence) {
    d.what = fmt::format("record {} holds sequence {}: a record is missing, inserted or moved here (the fold of input {} "
                         "gives sequence {})", sequence, f->sequence(), input, sequence);
  } else if (f->input_offset() != input) {
    d.what = fmt::format("record {} is the record of input {}, but the fold gives input {}'s here", sequence,
                         f->input_offset(), input);
  } else {
    d.what = fmt::format("record {} (input {}) differs from the fold, first in '{}'", sequence, input,
                         d.field.empty() ? "?" : d.field);
  }
  return d;
}

}  // namespace

// The journal's side of a verification, on a thread of its own (the fold takes the other core):
// reads every record in order, checks the hash chain end to end, and hands each record to the
// fold, in batches, with each record's SHA-256, for as long as the fold takes them. After the fold
// stops (a difference, the actions' end) it goes on alone to the journal's end or the chain's first
// problem.
class JournalSide {
 public:
  JournalSide(const VerifySource& source, const std::atomic<bool>* stop)
      : source_(source), stop_(stop), thread_([this] { Run(); }) {}
  ~JournalSide() {
    FoldDone();
    if (thread_.joinable()) thread_.join();
  }

  // The fold's next record, in order, into *bytes and its SHA-256 into *hash; *error set (bytes
  // empty) if it cannot be read. False when the journal side hands over no more (interrupted, or
  // after an unreadable record).
  bool Next(std::vector<uint8_t>* bytes, Sha256* hash, std::string* error) {
    if (taken_ == batch_.size()) {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
      if (ready_.empty()) return false;
      batch_ = std::move(ready_.front());
      ready_.pop_front();
      taken_ = 0;
      changed_.notify_all();
    }
    Item& item = batch_[taken_++];
    bytes->swap(item.bytes);
    *hash = item.hash;
    *error = std::move(item.error);
    return true;
  }
  // The fold takes no more records.
  void FoldDone() {
    std::lock_guard lock(mutex_);
    fold_done_ = true;
    ready_.clear();
    changed_.notify_all();
  }
  // Waits for the journal side to end, calling `tick` with the records it has checked now and then.
  void Wait(const std::function<void(uint64_t)>& tick) {
    std::unique_lock lock(mutex_);
    while (!changed_.wait_for(lock, std::chrono::milliseconds(200), [&] { return finished_; })) {
      if (tick) tick(read_.load(std::memory_order_relaxed));
    }
    lock.unlock();
    thread_.join();
  }

  std::string chain_problem;  // read after Wait
  bool interrupted = false;
  const events::JournalChain& chain() const { return chain_; }

 private:
  struct Item {
    std::vector<uint8_t> bytes;
    Sha256 hash{};
    std::string error;
  };
  static constexpr size_t kBatch = 256;       // records handed over at once
  static constexpr size_t kBatchesMax = 16;   // batches read ahead of the fold

  void Run() {
    std::vector<Item> batch;
    const auto hand_over = [&]() {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return ready_.size() < kBatchesMax || fold_done_; });
      if (!fold_done_) ready_.push_back(std::move(batch));
      changed_.notify_all();
      batch.clear();
      batch.reserve(kBatch);
    };
    for (uint64_t sequence = 0; sequence < source_.records; ++sequence) {
      if (stop_ != nullptr && stop_->load(std::memory_order_relaxed)) {
        interrupted = true;
        break;
      }
      Item item;
      if (!source_.record(sequence, &item.bytes, &item.error)) {
        if (chain_problem.empty()) chain_problem = fmt::format("record {}: cannot be read: {}", sequence, item.error);
        batch.push_back(std::move(item));
        break;
      }
      if (chain_problem.empty()) chain_problem = chain_.Add(item.bytes);
      read_.store(sequence + 1, std::memory_order_relaxed);
      bool fold_done;
      {
        std::lock_guard lock(mutex_);
        fold_done = fold_done_;
      }
      if (fold_done) {
        if (!chain_problem.empty()) break;  // nothing more to find
        continue;
      }
      item.hash = chain_problem.empty() ? chain_.head() : own_sha256_.Of(item.bytes);  // the chain's, while it holds
      batch.push_back(std::move(item));
      if (batch.size() == kBatch) hand_over();
    }
    if (!batch.empty()) hand_over();
    if (chain_problem.empty() && !interrupted) chain_problem = chain_.End();
    std::lock_guard lock(mutex_);
    finished_ = true;
    changed_.notify_all();
  }

  const VerifySource& source_;
  const std::atomic<bool>* stop_;
  events::JournalChain chain_;
  Sha256Hasher own_sha256_;  // records past a broken chain
  std::atomic<uint64_t> read_{0};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<Item>> ready_;  // guarded by mutex_
  bool fold_done_ = false;               // guarded by mutex_
  bool finished_ = false;                // guarded by mutex_
  std::vector<Item> batch_;              // the fold's: the batch it takes records from
  size_t taken_ = 0;
  std::thread thread_;                   // last: started once the members above exist
};

namespace {

// source.state_hash, asked once: both passes below fold to the same state at the same input, so
// the second asks with the same hash (and a source may answer only once: a future).
class StoredState {
 public:
  explicit StoredState(const VerifySource& source) : source_(source) {}
  bool At(uint64_t folded) const {
    return source_.state_applied && *source_.state_applied == folded && source_.state_hash;
  }
  // The fold's state hash (after At's inputs, its head set) compared with the stored state's, into
  // *report; returns the fold's.
  Sha256 Compare(const Engine& engine, uint64_t folded, VerifyReport* report) {
    const Sha256 fold_hash = events::StateHashOnTwoThreads(engine);  // the second core is free by then
    Ask(fold_hash, folded, report);
    return fold_hash;
  }

 private:
  void Ask(const Sha256& fold_hash, uint64_t folded, VerifyReport* report) {
    if (!asked_) {
      asked_ = true;
      stored_ = source_.state_hash(fold_hash, &problem_);
    }
    if (!stored_) {
      report->state_problem = problem_;
      return;
    }
    report->state_compared = true;
    report->state_inputs = folded;
    if (fold_hash != *stored_) {
      report->state_problem = fmt::format("the stored state (after {} inputs) has hash {}, the fold's is {}", folded,
                                          Hex(*stored_), Hex(fold_hash));
    }
  }

  const VerifySource& source_;
  bool asked_ = false;
  std::optional<Sha256> stored_;
  std::string problem_;
};

// The inputs, read in order on a thread of their own up to kRing ahead of the fold (reading and
// checking each frame is a tenth of the fold thread's time, and the second core has room beside
// the journal's side), each prefetched (Engine::Prefetch) on the fold's thread
// events::kPrefetchAhead inputs before its turn. A read that fails ends the reading; it is
// reported when its input's turn comes. Inputs are taken in order, 0, 1, 2, ...; what Take
// returns stays valid until the next Take.
class InputsAhead {
 public:
  InputsAhead(const VerifySource& source, const Engine& engine)
      : source_(source), engine_(engine), reader_([this] { Read(); }) {
    for (uint64_t index = 0; index < std::min<uint64_t>(events::kPrefetchAhead, source.inputs); ++index) Prefetch(index);
  }
  ~InputsAhead() {
    stop_.store(true, std::memory_order_relaxed);
    released_.store(kStopped, std::memory_order_release);  // a reader waiting for room wakes
    released_.notify_one();
    reader_.join();
  }
  InputsAhead(const InputsAhead&) = delete;
  InputsAhead& operator=(const InputsAhead&) = delete;

  // Input `index`, or nullptr with *error when it cannot be read.
  const std::vector<uint8_t>* Take(uint64_t index, std::string* error) {
    if (index > 0) {  // the input before is done with: a large one's room goes
      Slot& done = slots_[(index - 1) % kRing];
      if (done.bytes.capacity() > kSlotKeepBytes) done.bytes = std::vector<uint8_t>();
    }
    released_.store(index, std::memory_order_release);  // the inputs before it are done with
    if (index % kBatch == 0) released_.notify_one();     // a waiting reader wakes once a batch (a wake is a syscall)
    if (index + events::kPrefetchAhead < source_.inputs) Prefetch(index + events::kPrefetchAhead);
    if (!Ready(index)) {
      *error = "the actions log's reader stopped";  // not reached: a reader stops at a failed read, which is reported
      return nullptr;
    }
    const Slot& now = slots_[index % kRing];
    if (!now.read) {
      *error = now.error;
      return nullptr;
    }
    return &now.bytes;
  }

 private:
  // The ring (kRing inputs, kBytesMax bytes), and how often each side wakes the other: once it
  // has moved a batch on, when it ends, and whenever it is about to wait itself (a wait returns
  // only on a wake: a side that waits on a value the other has since changed without one would
  // wait for ever; so each, before it waits, wakes the other). The fold waits only for an input
  // at most kPrefetchAhead after the one it takes, which the reader reads whatever the bytes
  // ahead: both never wait at once.
  static constexpr size_t kRing = 4096;
  static constexpr uint64_t kBatch = 512;
  static constexpr uint64_t kBytesMax = uint64_t{16} << 20;  // read ahead, at most (inputs of up to 256 KiB)
  static constexpr size_t kSlotKeepBytes = 4096;  // a slot keeps no more capacity than this (most inputs are ~200 bytes)
  static_assert(kBatch < kRing - events::kPrefetchAhead);
  static constexpr uint64_t kFinished = uint64_t{1} << 63;  // in read_: the reader reads no more
  static constexpr uint64_t kStopped = ~uint64_t{0} >> 1;   // in released_: the fold is done
  struct Slot {
    std::vector<uint8_t> bytes;
    bool read = false;
    std::string error;
  };
  // The reader's thread: each input into its slot once the fold has taken the one kRing before.
  void Read() {
    uint64_t done = 0, ahead = 0;  // inputs the fold is known to be done with; the bytes of those after
    for (uint64_t index = 0; index < source_.inputs; ++index) {
      // Room: a free slot, and the bytes read ahead (the inputs not yet done with: counted here,
      // from sizes_, which only this thread touches) under kBytesMax.
      const auto room = [&](uint64_t released) {
        for (; done < released && done < index; ++done) ahead -= sizes_[done % kRing];
        // The inputs the fold may wait for (up to kPrefetchAhead after the one it takes) are read
        // whatever their bytes: the fold never waits on a reader held by the bytes.
        return released == kStopped ||
               (index - released < kRing && (ahead < kBytesMax || index <= released + events::kPrefetchAhead));
      };
      for (uint64_t released = released_.load(std::memory_order_acquire); !room(released);
           released = released_.load(std::memory_order_acquire)) {
        read_.notify_one();  // the fold may be waiting on what it last saw of read_
        released_.wait(released, std::memory_order_acquire);
      }
      if (stop_.load(std::memory_order_relaxed)) break;
      Slot& slot = slots_[index % kRing];
      slot.error.clear();
      slot.read = source_.input(index, &slot.bytes, &slot.error);
      sizes_[index % kRing] = static_cast<uint32_t>(slot.bytes.size());
      ahead += slot.bytes.size();
      read_.store(index + 1, std::memory_order_release);
      if ((index + 1) % kBatch == 0) read_.notify_one();
      if (!slot.read) break;
    }
    read_.fetch_or(kFinished, std::memory_order_release);
    read_.notify_one();
  }
  // True once input `index`'s slot is filled (read or failed); false if the reader ended before it.
  bool Ready(uint64_t index) {
    for (uint64_t read = read_.load(std::memory_order_acquire);; read = read_.load(std::memory_order_acquire)) {
      if ((read & ~kFinished) > index) return true;
      if ((read & kFinished) != 0) return false;
      released_.notify_one();  // a reader waiting for room (bytes, not slots) sees what was taken before this waits
      read_.wait(read, std::memory_order_acquire);
    }
  }
  void Prefetch(uint64_t index) {
    if (Ready(index) && slots_[index % kRing].read) events::PrefetchInput(engine_, slots_[index % kRing].bytes);
  }

  const VerifySource& source_;
  const Engine& engine_;
  std::array<Slot, kRing> slots_;
  std::array<uint32_t, kRing> sizes_{};  // the reader's: each slot's size when it was filled
  // Each side writes its own line: read_ the reader, released_ the fold.
  alignas(64) std::atomic<uint64_t> read_{0};      // inputs whose slot is filled, | kFinished once the reader ends
  alignas(64) std::atomic<uint64_t> released_{0};  // inputs the fold is done with (kStopped: all)
  alignas(64) std::atomic<bool> stop_{false};
  std::thread reader_;  // last: started once the members above exist
};

std::unique_ptr<Engine> FreshEngine(const VerifySource& source) {
  auto engine = std::make_unique<Engine>();
  engine->HashRecords(false);   // the other thread hashes (the journal's records, or the fold's copies)
  engine->TrackChanges(false);  // nothing is stored
  engine->Expect(source.inputs);
  return engine;
}

VerifyReport NewReport(const VerifySource& source) {
  VerifyReport report;
  report.records = source.records;
  report.inputs = source.inputs;
  report.state_problem = source.state_problem;
  return report;
}

// The offset the engine folds input `index` at.
uint64_t OffsetOf(const VerifySource& source, uint64_t index) {
  return index < source.input_offsets.size() ? source.input_offsets[index] : index;
}

// The fold's state hash after its last input (`hashed`, when the state check took it then), and
// the expected head.
void Conclude(const Engine& engine, const std::optional<std::pair<uint64_t, Sha256>>& hashed,
              const VerifyOptions& options, VerifyReport* report) {
  report->fold_state_hash = hashed && hashed->first == report->inputs_folded ? hashed->second
                                                                            : events::StateHashOnTwoThreads(engine);
  if (options.expect_head && report->chain_problem.empty() && !report->interrupted && *options.expect_head != report->head) {
    report->head_problem = fmt::format("the journal's head is {}, not the expected {}", Hex(report->head),
                                       Hex(*options.expect_head));
  }
}

// The pass for a journal that is what its actions give (every audit of an untouched one): the fold
// on this thread, and on a second one (events::ChainHasher) each of its records completed with the
// SHA-256 of the one before, hashed, compared with the journal's record at its sequence, and
// checked as the chain's next (JournalChain::AddBuilt: no Verifier for bytes equal to ones the
// engine's builder wrote). So the journal's records are read, compared and hashed once, and none
// is handed back to the fold. Anything else (a record that differs, cannot be read or breaks the
// chain, an input that cannot be read or folded, a journal longer or shorter than the fold's)
// returns nullopt: the exact pass then finds it and says precisely what it is.
std::optional<VerifyReport> VerifyEqual(const VerifySource& source, const VerifyOptions& options, StoredState& stored) {
  VerifyReport report = NewReport(source);
  const std::unique_ptr<Engine> engine = FreshEngine(source);
  std::atomic<bool> differs{false};  // or the pass gives up for another reason: the thread stops reading
  std::atomic<uint64_t> equal{0};  // journal records found equal to the fold's, so far
  std::vector<uint8_t> found;      // the hashing thread's
  std::string unread;
  // The chain's checks but the Verifier (sequence, predecessor, parts, end): they hold by
  // construction only while the engine numbers and splits its records right, and that is what
  // is being audited.
  events::JournalChain checked;
  std::optional<std::pair<uint64_t, Sha256>> hashed;  // the fold's state hash, after that many inputs
  events::ChainHasher chain({}, [&](std::span<const uint8_t> record, const Sha256& sha256) {
    if (differs.load(std::memory_order_relaxed)) return;
    const uint64_t sequence = equal.load(std::memory_order_relaxed);
    if (sequence >= source.records || !source.record(sequence, &found, &unread) ||
        !std::equal(record.begin(), record.end(), found.begin(), found.end()) || !checked.AddBuilt(found, sha256).empty()) {
      differs.store(true, std::memory_order_relaxed);
      return;
    }
    equal.store(sequence + 1, std::memory_order_relaxed);
  });
  const auto give_up = [&]() -> std::optional<VerifyReport> {
    differs.store(true, std::memory_order_relaxed);
    return std::nullopt;
  };
  // The chain's head once the hashing thread has caught up with the fold; nullopt if a record differed.
  const auto caught_up = [&]() -> std::optional<Sha256> {
    const Sha256 head = chain.Head();
    if (differs.load(std::memory_order_relaxed)) return std::nullopt;
    return head;
  };
  const auto state_check = [&](uint64_t folded) {  // false: a record before differs
    if (!stored.At(folded)) return true;
    const std::optional<Sha256> head = caught_up();
    if (!head) return false;
    engine->SetHead(*head);
    hashed.emplace(folded, stored.Compare(*engine, folded, &report));
    return true;
  };
  if (!state_check(0)) return std::nullopt;
  InputsAhead ahead(source, *engine);
  ApplyResult result;
  std::string error;
  uint64_t sequence = 0;  // records the fold has given
  for (uint64_t input = 0; input < source.inputs; ++input) {
    if (options.stop != nullptr && options.stop->load(std::memory_order_relaxed)) {
      report.interrupted = true;
      break;
    }
    if (differs.load(std::memory_order_relaxed)) return std::nullopt;
    if (sequence == source.records) {  // the journal ends: the rest is pending, unless the state reflects it
      if (source.state_applied && *source.state_applied > input) return give_up();
      report.pending_inputs = source.inputs - input;
      break;
    }
    const std::vector<uint8_t>* bytes = ahead.Take(input, &error);
    if (bytes == nullptr || !events::FoldInput(*engine, *bytes, OffsetOf(source, input), &result, &error)) return give_up();
    ++report.inputs_folded;
    if (source.records - sequence < result.records.size()) return give_up();  // the journal ends inside it
    chain.Add(result.records);
    sequence += result.records.size();
    if (options.progress && input % kProgressEvery == 0) options.progress(equal.load(std::memory_order_relaxed));
    if (!state_check(input + 1)) return std::nullopt;
  }
  const std::optional<Sha256> head = caught_up();
  if (!head) return std::nullopt;
  if (!report.interrupted && report.pending_inputs == 0 && sequence < source.records) return std::nullopt;  // unexplained
  if (!report.interrupted && !checked.End().empty()) return std::nullopt;
  engine->SetHead(*head);
  report.records_checked = sequence;
  report.chain_records = sequence;
  report.head = *head;
  Conclude(*engine, hashed, options, &report);
  return report;
}

// The exact pass: the journal's side on its own thread checks the chain record by record
// (JournalSide), and the fold compares each of its records with the journal's as it goes, so the
// first difference is named at its record, with its input, its field, and both versions.
VerifyReport VerifyExact(const VerifySource& source, const VerifyOptions& options, StoredState& stored) {
  VerifyReport report = NewReport(source);
  events::Codec codec;
  const std::unique_ptr<Engine> engine = FreshEngine(source);  // the journal's side hashes (see Same)
  Sha256Hasher sha256;         // the fold's records past the first difference
  Sha256 head{};               // SHA-256 of the fold's last record
  std::optional<std::pair<uint64_t, Sha256>> hashed;  // the fold's state hash, after that many inputs
  std::vector<uint8_t> record_bytes;
  Sha256 record_hash{};
  std::string error;
  uint64_t sequence = 0;  // the next journal record to check
  const auto stopped = [&]() { return options.stop != nullptr && options.stop->load(std::memory_order_relaxed); };
  const auto progress = [&]() {
    if (options.progress && sequence % kProgressEvery == 0) options.progress(sequence);
  };
  const auto state_check = [&](uint64_t folded) {
    if (stored.At(folded)) hashed.emplace(folded, stored.Compare(*engine, folded, &report));
  };
  JournalSide journal(source, options.stop);
  state_check(0);
  InputsAhead ahead(source, *engine);
  for (uint64_t input = 0; input < source.inputs && !report.divergence; ++input) {
    if (stopped()) {
      report.interrupted = true;
      break;
    }
    if (sequence == source.records) {  // the journal ends: the rest is pending, unless the state reflects it
      if (source.state_applied && *source.state_applied > input) {
        report.divergence = Divergence{sequence, input,
                                       fmt::format("the journal ends at record {}, but the stored state reflects {} inputs: "
                                                   "the records of inputs {}..{} are missing", sequence,
                                                   *source.state_applied, input, *source.state_applied - 1), "", "", ""};
      } else {
        report.pending_inputs = source.inputs - input;
      }
      break;
    }
    const std::vector<uint8_t>* input_bytes = ahead.Take(input, &error);
    if (input_bytes == nullptr) {
      report.divergence = Divergence{sequence, input, fmt::format("input {} cannot be read: {}", input, error), "", "", ""};
      break;
    }
    ApplyResult result;
    if (!events::FoldInput(*engine, *input_bytes, OffsetOf(source, input), &result, &error)) {
      report.divergence = Divergence{sequence, input, fmt::format("input {} cannot be folded: {}", input, error), "", "", ""};
      break;
    }
    ++report.inputs_folded;
    size_t part = 0;  // of the input's records: those before `part` equal the journal's
    for (; part < result.records.size(); ++part) {
      const std::span<const uint8_t> expected = result.records[part];
      if (sequence == source.records) {
        report.divergence = Divergence{sequence, input,
                                       fmt::format("the journal ends at record {}, inside input {} (the fold gives it more "
                                                   "records)", sequence, input), "", codec.RecordToJson(Whole(expected, head)), ""};
        report.divergence->expected = Around(report.divergence->expected, 0);
        break;
      }
      if (!journal.Next(&record_bytes, &record_hash, &error)) {  // the journal side stopped: interrupted
        report.interrupted = true;
        break;
      }
      if (!error.empty()) {
        report.divergence = Divergence{sequence, input, fmt::format("record {} cannot be read: {}", sequence, error), "", "", ""};
        break;
      }
      if (!Same(expected, head, record_bytes)) {
        report.divergence = Differ(codec, sequence, input, Whole(expected, head), record_bytes);
        ++sequence;
        break;
      }
      head = record_hash;  // equal bytes, equal hash
      ++report.records_checked;
      ++sequence;
      progress();
    }
    for (; part < result.records.size(); ++part) head = sha256.Of(Whole(result.records[part], head));  // not the journal's
    engine->SetHead(head);
    if (report.interrupted) break;
    if (!report.divergence) state_check(input + 1);
  }
  if (!report.divergence && !report.interrupted && report.pending_inputs == 0 && sequence < source.records) {
    report.divergence = Divergence{sequence, source.inputs,
                                   fmt::format("records {}..{} follow the last input's: no input explains them", sequence,
                                               source.records - 1), "", "", ""};
  }
  // The chain end to end, past a divergence too: it says whether the journal is whole as it stands.
  journal.FoldDone();
  journal.Wait(options.progress);
  report.interrupted = report.interrupted || journal.interrupted;
  report.chain_problem = journal.chain_problem;
  report.chain_records = journal.chain().records();
  report.head = journal.chain().head();
  Conclude(*engine, hashed, options, &report);
  return report;
}

}  // namespace

VerifyReport Verify(const VerifySource& source, const VerifyOptions& options) {
  StoredState stored(source);
  // Progress never goes back: the exact pass, run after the first, is shown from where the first
  // had got to once it passes it.
  VerifyOptions passes = options;
  uint64_t shown = 0;
  if (options.progress) {
    passes.progress = [&](uint64_t done) {
      shown = std::max(shown, done);
      options.progress(shown);
    };
  }
  if (!options.exact) {
    if (std::optional<VerifyReport> equal = VerifyEqual(source, passes, stored)) return *std::move(equal);
  }
  VerifyReport report = VerifyExact(source, passes, stored);
  report.exact_pass = true;
  return report;
}

std::string VerifyText(const VerifyReport& r) {
  std::string out;
  out += fmt::format("journal: {} records; actions log: {} inputs\n", r.records, r.inputs);
  if (r.interrupted) out += fmt::format("interrupted after {} records: nothing is proven\n", r.records_checked);
  if (r.chain_problem.empty()) {
    out += fmt::format("hash chain: intact, {} records, head {}\n", r.chain_records, Hex(r.head));
  } else {
    out += fmt::format("hash chain: BROKEN: {}\n", r.chain_problem);
  }
  if (r.divergence) {
    const Divergence& d = *r.divergence;
    out += fmt::format("fold: DIFFERS at record {}: {}\n", d.record, d.what);
    if (!d.expected.empty()) out += fmt::format("  expected: {}\n", d.expected);
    if (!d.found.empty()) out += fmt::format("  found:    {}\n", d.found);
  } else if (!r.interrupted) {
    out += fmt::format("fold: equal, {} records from {} inputs folded afresh", r.records_checked, r.inputs_folded);
    out += r.pending_inputs > 0 ? fmt::format("; {} inputs logged after the journal's last (not yet folded)\n", r.pending_inputs)
                                : "\n";
  }
  if (!r.state_problem.empty()) {
    out += fmt::format("state: DIFFERS: {}\n", r.state_problem);
  } else if (r.state_compared && r.state_inputs < r.inputs_folded) {
    // Said, not hidden: the comparison is at the state's own input (it said "equals the fold's",
    // the fold's final hash beside it in JSON, over a state rolled back by a damaged log).
    out += fmt::format("state: the stored state reflects {} of the {} inputs folded (a writer folds the rest when it opens "
                       "the directory; a state write-ahead log cut by damage is recovered only up to the damage): its "
                       "hash equals the fold's after {} inputs\n",
                       r.state_inputs, r.inputs_folded, r.state_inputs);
  } else if (r.state_compared) {
    out += "state: the stored state's hash equals the fold's\n";
  }
  if (!r.head_problem.empty()) out += fmt::format("head: DIFFERS: {}\n", r.head_problem);
  out += r.ok() ? "verified\n" : "NOT verified\n";
  return out;
}

std::string VerifyJson(const VerifyReport& r) {
  std::string divergence = "null";
  if (r.divergence) {
    const Divergence& d = *r.divergence;
    divergence = fmt::format(R"({{"record": {}, "input": {}, "what": {}, "field": {}, "expected": {}, "found": {}}})", d.record,
                             d.input, JsonQuoted(d.what), JsonQuoted(d.field), JsonQuoted(d.expected), JsonQuoted(d.found));
  }
  const auto problem = [](const std::string& p) { return p.empty() ? std::string("null") : JsonQuoted(p); };
  return fmt::format(
      R"({{"verified": {}, "records": {}, "inputs": {}, "records_checked": {}, "inputs_folded": {}, "pending_inputs": {}, )"
      R"("chain": {{"intact": {}, "records": {}, "head": "{}", "problem": {}}}, "divergence": {}, )"
      R"("state": {{"compared": {}, "problem": {}, "inputs": {}, "fold_hash": "{}"}}, "head_problem": {}, "interrupted": {}}})",
      r.ok(), r.records, r.inputs, r.records_checked, r.inputs_folded, r.pending_inputs, r.chain_problem.empty(),
      r.chain_records, Hex(r.head), problem(r.chain_problem), divergence, r.state_compared, problem(r.state_problem),
      r.state_inputs, Hex(r.fold_state_hash), problem(r.head_problem), r.interrupted);
}

}  // namespace kezek::replay
