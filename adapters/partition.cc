#include "adapters/partition.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <utility>

#include <fmt/format.h>

#include "engine/assert.h"
#include "engine/sha256.h"
#include "events/journal_chain.h"

namespace kezek::adapters {

Partition::Partition(StateStore* state, Options options) : state_(state), options_(std::move(options)) {
  KEZEK_ASSERT(state_ != nullptr);
  KEZEK_ASSERT(options_.batch_max > 0);
  if (!options_.say) options_.say = [](const std::string&) {};
}

Status StateStore::LoadMeta(Meta* meta) {
  Engine engine;
  if (Status s = Load(&engine, &meta->applied); !s.ok()) return s;
  meta->records = engine.state().next_sequence;
  meta->head = engine.state().head_sha256;
  return Status::Ok();
}

Status Partition::LoadState() {
  if (Status s = state_->Load(&engine_, &applied_); !s.ok()) return s;
  stored_ = {applied_, engine_.state().next_sequence, engine_.state().head_sha256};
  return Status::Ok();
}

Status Partition::LoadMeta() {
  if (Status s = state_->LoadMeta(&stored_); !s.ok()) return s;
  applied_ = stored_.applied;
  return Status::Ok();
}

Status Partition::LoadRest() {
  KEZEK_ASSERT(mode_ == Mode::kReadOnly);
  uint64_t applied = 0;
  if (Status s = state_->Load(&engine_, &applied); !s.ok()) return s;
  if (applied != stored_.applied || engine_.state().next_sequence != stored_.records ||
      engine_.state().head_sha256 != stored_.head) {
    return Status::Corruption(fmt::format("{}: the stored state loaded ({} inputs, {} records) is not the one its meta "
                                          "entries describe ({} inputs, {} records)", options_.name, applied,
                                          engine_.state().next_sequence, stored_.applied, stored_.records));
  }
  return Status::Ok();
}

Status Partition::Open(InputLog* inputs, JournalSink* journal, Mode mode) {
  KEZEK_ASSERT(inputs != nullptr && journal != nullptr);
  KEZEK_ASSERT(inputs_ == nullptr && journal_ == nullptr);  // opened once
  inputs_ = inputs;
  journal_ = journal;
  mode_ = mode;
  if (Status s = CheckLogs(); !s.ok()) return s;
  if (Status s = CheckHead(); !s.ok()) return s;
  if (mode_ == Mode::kReadOnly) return CheckAhead();
  if (engine_.state().next_sequence < journal_->end()) {
    if (Status s = journal_->Read(engine_.state().next_sequence, [&](uint64_t, std::span<const uint8_t> record) {
          ahead_.emplace_back(record.begin(), record.end());
          return true;
        }); !s.ok()) return s;
    options_.say(fmt::format("journal is {} records ahead of the state: they will be re-derived and compared",
                             ahead_.size()));
  }
  if (Status s = CatchUp({}); !s.ok()) return s;
  if (!ahead_.empty()) {
    return Status::Corruption(
        fmt::format("{}: {} records more than the actions log explains", options_.journal_name, ahead_.size()));
  }
  return Status::Ok();
}

Status Partition::CheckLogs() {
  // Both logs are checked, both shortages said: a reader that tells which log is damaged (kezek
  // journal --data) must not see only the first.
  std::string shortages;
  if (stored_.applied > inputs_->end()) {
    shortages = fmt::format("the state reflects {} {} {}", stored_.applied, kActionsShort, inputs_->end());
  }
  if (stored_.records > journal_->end()) {
    shortages += fmt::format("{}the state reflects {} {} {}", shortages.empty() ? "" : "; ", stored_.records, kJournalShort,
                             journal_->end());
  }
  if (shortages.empty()) return Status::Ok();
  return Status::Corruption(fmt::format("{}: {}", options_.name, shortages));
}

// The state's head covers the journal's last record it reflects: hashing that record again shows
// whether the journal (or the state) was altered since.
Status Partition::CheckHead() {
  const uint64_t records = stored_.records;
  if (records == 0) return Status::Ok();
  std::vector<uint8_t> last;
  if (Status s = journal_->ReadRecord(records - 1, &last); !s.ok()) return s;
  Sha256Hasher sha256;
  const Sha256 found = sha256.Of(last);
  const Sha256& stored = stored_.head;
  if (found == stored) return Status::Ok();
  const auto hex = [](const Sha256& h) {
    std::string out;
    for (const uint8_t b : h) out += fmt::format("{:02x}", b);
    return out;
  };
  return Status::Corruption(fmt::format("{}: record {} hashes to {}, but the state's journal head is {}: {}",
                                        options_.journal_name, records - 1, hex(found), hex(stored), kHeadContradicted));
}

// A reader re-derives nothing: the records past the state (a write-behind writer's, or a crash's
// between journal and state) are checked to continue the chain from the state's head and to name
// inputs the actions log holds past the state's, as a writer's re-derivation would find (a record
// written twice passed `status` as "re-derived when a writer opens it" while `run` refused it).
Status Partition::CheckAhead() {
  const uint64_t records = stored_.records;
  if (records >= journal_->end()) return Status::Ok();
  events::JournalChain chain;
  std::vector<uint8_t> previous;
  if (records > 0) {
    if (Status s = journal_->ReadRecord(records - 1, &previous); !s.ok()) return s;
    if (std::string why = chain.Resume(previous); !why.empty()) {
      return Status::Corruption(fmt::format("{}: {}", options_.journal_name, why));
    }
  }
  std::string problem;
  if (Status s = journal_->Read(records, [&](uint64_t index, std::span<const uint8_t> record) {
        problem = chain.Add(record);
        if (problem.empty()) {
          const uint64_t input = fb::GetJournalRecord(record.data())->input_offset();
          if (input < stored_.applied || input >= inputs_->end()) {
            problem = fmt::format("record {} (past the state) is of input {}, which the actions log does not hold past the "
                                  "state's {} inputs ({} logged)", index, input, stored_.applied, inputs_->end());
          }
        }
        return problem.empty();
      });
      !s.ok()) {
    return s;
  }
  if (!problem.empty()) return Status::Corruption(fmt::format("{}: {}", options_.journal_name, problem));
  return Status::Ok();
}

Status Partition::Refuse() const { return Status::InvalidArgument(fmt::format("{}: opened read-only", options_.name)); }

void Partition::CrashPoint() {
  if (options_.crash_at != 0 && crash_points_.fetch_add(1) + 1 == options_.crash_at) ::raise(SIGKILL);
}

Status Partition::LogInputs(std::span<const events::InputLine> lines, bool lend, Logged* logged) {
  // Each line's encoding is a pure function of the line: a large batch's lines are encoded on two
  // threads (slices taken in turn) when `lend`, then logged in order; the bytes are the same either way.
  constexpr size_t kSlice = 256;
  logged->first = inputs_->end();
  std::vector<std::vector<uint8_t>>& payloads = logged->payloads;
  payloads.resize(lines.size());
  std::atomic<size_t> next{0};
  const auto encode = [&](events::Codec& codec) {
    for (size_t from = next.fetch_add(kSlice); from < lines.size(); from = next.fetch_add(kSlice)) {
      for (size_t i = from; i < std::min(from + kSlice, lines.size()); ++i) {
        payloads[i] = events::EncodeInput(codec, lines[i]);
      }
    }
  };
  std::future<void> side;
  if (lend && lines.size() >= 4 * kSlice) {
    if (!side_codec_) side_codec_ = std::make_unique<events::Codec>();
    side = std::async(std::launch::async, encode, std::ref(*side_codec_));
  }
  encode(codec_);
  if (side.valid()) side.get();
  for (const std::vector<uint8_t>& payload : payloads) {
    if (Status s = inputs_->Append(payload); !s.ok()) return s;
  }
  Status s = inputs_->Sync();
  CrashPoint();  // inputs durable, not yet folded
  return s;
}

Status Partition::LogOnly(std::span<const events::InputLine> lines) {
  if (read_only()) return Refuse();
  Logged logged;
  return LogInputs(lines, /*lend=*/true, &logged);
}

Status Partition::Append(std::span<const events::InputLine> lines, const Answers& answer) {
  if (read_only()) return Refuse();
  if (applied_ != inputs_->end()) {
    if (Status s = CatchUp({}); !s.ok()) return s;
  }
  // Batch k + 1 is logged (encoded, appended, synced) on a helper thread while batch k is folded
  // and committed here: the helper touches only the input log and the codecs, the fold only the
  // engine, the journal and the state store, and a batch is durable before any of it is folded.
  // The helper is always waited for; a failure of either is returned, the fold's first.
  const size_t size = options_.batch_max;
  const size_t batches = (lines.size() + size - 1) / size;
  const auto batch = [&](size_t k) { return lines.subspan(k * size, std::min(size, lines.size() - k * size)); };
  Logged logged[2];
  Status status = batches == 0 ? Status::Ok() : LogInputs(batch(0), /*lend=*/true, &logged[0]);
  // With the journal behind (a runtime opened write-behind) and no answers wanted, the hash chain
  // goes to a core of its own too: the engine leaves each record's prev_sha256 zero, and a
  // ChainHasher fills it in, hashes the record and appends it to the journal on its thread; the
  // batch's end takes the head. Same bytes, same head (events/chain_hasher.h). With answers, each
  // would wait for its records to be whole and be read back: measured slower than hashing here.
  if (status.ok() && batches > 0 && options_.journal_behind && !answer && ahead_.empty()) {
    chained_ = Status::Ok();
    chain_ = std::make_unique<events::ChainHasher>(engine_.state().head_sha256,
                                                   [this](std::span<const uint8_t> record, const Sha256&) {
                                                     if (chained_.ok()) chained_ = journal_->Append(record);
                                                   });
    engine_.HashRecords(false);
  }
  for (size_t k = 0; status.ok() && k < batches; ++k) {
    std::future<Status> ahead;
    if (k + 1 < batches) {
      ahead = std::async(std::launch::async, [&, k] { return LogInputs(batch(k + 1), /*lend=*/false, &logged[(k + 1) % 2]); });
    }
    const Logged& now = logged[k % 2];
    for (size_t i = 0; i < now.payloads.size() && status.ok(); ++i) {
      if (i + events::kPrefetchAhead < now.payloads.size()) events::PrefetchInput(engine_, now.payloads[i + events::kPrefetchAhead]);
      status = FoldOne(now.first + i, now.payloads[i], answer);
    }
    if (status.ok() && chain_) status = Chained();
    if (status.ok()) status = Commit();
    if (ahead.valid()) {
      Status next = ahead.get();
      if (status.ok()) status = next;
    }
  }
  if (chain_) {  // on failure too: the records folded so far are whole and in the journal's buffer
    const Status chained = Chained();
    chain_.reset();
    engine_.HashRecords(true);
    if (status.ok()) status = chained;
  }
  return status;
}

// The end of a batch folded with the chain on its own thread: its records are hashed and in the
// journal once Head returns.
Status Partition::Chained() {
  engine_.SetHead(chain_->Head());
  return chained_;
}

Status Partition::CatchUp(const Answers& answer) {
  if (read_only()) return Refuse();
  const uint64_t behind = inputs_->end() - applied_;
  if (behind == 0) return Status::Ok();
  options_.say(fmt::format("catching up: folding {} logged inputs from input {}", behind, applied_));
  engine_.Expect(behind);
  Status failure;
  size_t in_batch = 0;
  uint64_t folded = 0;
  // Each input is prefetched two ahead of its fold (events::PrefetchQueue); the last two are
  // folded once the log's Read returns, on a failed read too (as they were before it).
  events::PrefetchQueue queue;
  events::PrefetchQueue::Ready ready;
  const auto fold = [&] {
    failure = FoldOne(ready.index, ready.payload, answer);
    ++folded;
    if (failure.ok() && ++in_batch == options_.batch_max) {
      in_batch = 0;
      failure = Commit();
      if (failure.ok() && options_.progress) options_.progress(folded, behind);
    }
    return failure.ok();
  };
  const Status read = inputs_->Read(applied_, [&](uint64_t index, std::span<const uint8_t> payload) {
    return !queue.Push(engine_, index, payload, &ready) || fold();
  });
  while (failure.ok() && queue.Pop(&ready)) fold();
  if (!read.ok()) return read;
  if (!failure.ok()) return failure;
  return Commit();
}

Status Partition::FoldOne(uint64_t index, std::span<const uint8_t> payload, const Answers& answer) {
  // An input's index is its offset in the input log; a Kafka partition's offsets may skip (a
  // transaction's markers), so the next may lie past `applied_`, never before it.
  KEZEK_ASSERT(index >= applied_);
  ApplyResult result;
  std::string problem;
  if (!events::FoldInput(engine_, payload, index, &result, &problem)) {
    return Status::Corruption(fmt::format("{}: {}", options_.input_name, problem));
  }
  uint64_t sequence = engine_.state().next_sequence - result.records.size();
  if (chain_) {  // hashed and appended on the chain's thread (no answers wanted)
    chain_->Add(result.records);
    applied_ = index + 1;
    return Status::Ok();
  }
  for (const std::span<const uint8_t> record : result.records) {
    if (!ahead_.empty()) {
      // The journal already holds this record (written before a crash): it must be the same bytes.
      if (!std::equal(ahead_.front().begin(), ahead_.front().end(), record.begin(), record.end())) {
        return Status::Corruption(fmt::format("{}: record {} differs from the fold of input {}: the journal or the "
                                              "actions log was altered", options_.journal_name, sequence, index));
      }
      ahead_.pop_front();
    } else if (Status s = journal_->Append(record); !s.ok()) {
      return s;
    }
    ++sequence;
  }
  if (answer) {
    original_spans_.clear();
    if (result.outcome == fb::Outcome::Duplicate) {
      const uint64_t of = fb::GetJournalRecord(result.records.front().data())->duplicate_of();
      if (Status s = ReadOriginal(of); !s.ok()) return s;
    }
    answer(Answer{index, result.records, original_spans_});
  }
  applied_ = index + 1;
  return Status::Ok();
}

// The records of the input whose first record is `sequence`: it and the parts that continue it.
Status Partition::ReadOriginal(uint64_t sequence) {
  original_.clear();
  for (bool continued = true; continued; ++sequence) {
    if (sequence >= journal_->end()) {
      return Status::Corruption(fmt::format("{}: record {} is continued, but the journal ends before its next part",
                                            options_.journal_name, sequence - 1));
    }
    original_.emplace_back();
    if (Status s = journal_->ReadRecord(sequence, &original_.back()); !s.ok()) return s;
    continued = fb::GetJournalRecord(original_.back().data())->continued();
  }
  for (const auto& record : original_) original_spans_.push_back(record);
  return Status::Ok();
}

std::shared_future<Status> JournalSink::SyncBehind() { return Done(Sync()); }

Status StateCommit::Awaited(const std::shared_future<Status>& after) { return after.valid() ? after.get() : Status::Ok(); }

Status Partition::Commit() {
  CrashPoint();  // records buffered, not yet written
  StateCommit commit;
  if (options_.journal_behind) {
    commit.after = journal_->SyncBehind();  // the state's write waits for it
  } else if (Status s = journal_->Sync(); !s.ok()) {
    return s;
  }
  CrashPoint();  // journal durable (journal_behind: being written), state not yet written
  commit.applied = applied_;
  commit.changes = [&](const std::function<void(const state_codec::Put&)>& put) { engine_.DrainChanges(put); };
  if (Status s = state_->Commit(commit); !s.ok()) return s;
  CrashPoint();  // state written
  return Status::Ok();
}

}  // namespace kezek::adapters
