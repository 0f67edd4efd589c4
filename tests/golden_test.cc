// A recorded history (issue #12, "Proof"): a generated country history folded by the engine must
// give, byte for byte, the journal and state hash recorded here. Every optimisation of the fold,
// the record or the JSON decoder is held to the bytes the engine wrote before it.
//
// The digests, checked in order so that a failure names what moved:
//  1. the inputs (the generator's canonical actions): if this one differs, the generator changed
//     (not the engine) and the recorded figures must be re-derived from a build that predates the
//     engine change under test;
//  2. the journal (every record's bytes, length-prefixed) and the final state hash of the binary
//     fold: the engine's contract;
//  3. the same journal and state hash with the chain hashed on a second core (events/chain_hasher.h);
//  4. the same with every input prefetched ahead of its fold (Engine::Prefetch);
//  5. the same journal and state hash when every action goes through its JSON form and the JSON
//     decoder first (the path `kezek fold` and `kezek append` take).
#include <algorithm>

#include <fmt/format.h>

#include "engine/engine.h"
#include "engine/messages.h"
#include "engine/sha256.h"
#include "events/chain_hasher.h"
#include "events/codec.h"
#include "events/input.h"
#include "events/state_hasher.h"
#include "projections/summary.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

using projections::Hex;

void AddFramed(Sha256Hasher& hasher, std::span<const uint8_t> bytes) {
  const uint64_t size = bytes.size();
  uint8_t prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<uint8_t>(size >> (8 * i));
  hasher.Update(prefix);
  hasher.Update(bytes);
}

struct Folded {
  std::string journal;  // SHA-256 over every record, each prefixed by its size (8 bytes LE)
  std::string state;    // Engine::StateHash
  uint64_t records = 0;
  uint64_t rejected = 0;
  uint64_t duplicates = 0;
};

template <typename Each>
Folded Fold(size_t inputs, Each&& each) {
  Engine engine;
  Sha256Hasher journal;
  journal.Begin();
  Folded out;
  uint64_t offset = 0;
  for (size_t i = 0; i < inputs; ++i) {
    const ApplyResult result = each(engine, i, offset);
    if (result.outcome == fb::Outcome::Rejected) ++out.rejected;
    if (result.outcome == fb::Outcome::Duplicate) ++out.duplicates;
    for (const auto record : result.records) {
      AddFramed(journal, record);
      ++out.records;
    }
    offset += 1;
  }
  out.journal = Hex(journal.End());
  out.state = Hex(engine.StateHash());
  return out;
}

// Recorded on 2026-12-03 from commit 0871f4e (before any of #12's changes to the fold); recorded
// again on 2026-12-06 for a rule change, not an optimisation: an enrolled child's place is freed at
// school age (PlaceFreed), which changes the engine's records and, as the generator answers the
// places it sees free, its actions too. The fold's optimised paths below are held to these.
const std::string kInputsSha256 = "e06058a23749506563770f0739a4d09deb812d2c6442fbc22dc8fbb4a787ad3e";
const std::string kJournalSha256 = "5a91f1a0e130c1f2ab658abab8d3027657b9e1ecddf2308429fed5dc9b7ef064";
const std::string kStateHash = "22d0b19a72dd15f4fa44377e427a8f8d68e11d14157f8e3140fda78830135c53";
constexpr uint64_t kRecords = 59306;

TEST_CASE("a recorded country history folds to the recorded journal and state hash, from binary and from JSON") {
  workload::SimulationOptions options;
  options.seed = 2025;
  options.applications = 8000;
  options.months = 18;
  options.country = true;
  options.message_templates = false;  // recorded before templates existed: every text written out
  const std::vector<std::vector<uint8_t>> log = SimulatedLog(options);

  Sha256Hasher inputs;
  inputs.Begin();
  for (const auto& action : log) AddFramed(inputs, action);
  const std::string inputs_sha256 = Hex(inputs.End());
  MESSAGE(fmt::format("{} inputs, SHA-256 {}", log.size(), inputs_sha256));
  REQUIRE_MESSAGE(inputs_sha256 == kInputsSha256,
                  "the generator's actions changed: re-record this test's figures from a build before the engine change");

  const Folded binary = Fold(log.size(), [&](Engine& engine, size_t i, uint64_t offset) {
    return engine.Apply(log[i], offset);
  });
  MESSAGE(fmt::format("binary: {} records ({} rejected, {} duplicates), journal {}, state {}", binary.records,
                      binary.rejected, binary.duplicates, binary.journal, binary.state));
  CHECK(binary.records == kRecords);
  CHECK(binary.rejected > 0);  // the history holds refusals (late answers, mistyped IINs)
  CHECK(binary.duplicates > 0);  // and the portal's retries
  CHECK(binary.journal == kJournalSha256);
  CHECK(binary.state == kStateHash);

  // The chain on a second core (events/chain_hasher.h): the engine hashes nothing and leaves
  // prev_sha256 as zeros; the hasher's thread fills them in. Same bytes, same head, same state.
  {
    Engine engine;
    engine.HashRecords(false);
    Sha256Hasher journal;
    journal.Begin();
    uint64_t records = 0;
    events::ChainHasher chain({}, [&](std::span<const uint8_t> record, const Sha256& sha256) {
      AddFramed(journal, record);
      CHECK(sha256 == Sha256Hasher().Of(record));
      ++records;
    });
    bool zeros = true;  // what the engine writes where the chain goes
    for (size_t i = 0; i < log.size(); ++i) {
      const ApplyResult result = engine.Apply(log[i], i);
      for (const auto record : result.records) {
        const auto* prev = fb::GetJournalRecord(record.data())->prev_sha256();
        zeros = zeros && std::all_of(prev->begin(), prev->end(), [](uint8_t b) { return b == 0; });
      }
      chain.Add(result.records);
      if (i == log.size() / 2) engine.SetHead(chain.Head());  // mid-way too: Head waits, then adding goes on
    }
    CHECK(zeros);
    engine.SetHead(chain.Head());
    CHECK(records == kRecords);
    CHECK(chain.records() == kRecords);
    CHECK(Hex(journal.End()) == kJournalSha256);
    CHECK(Hex(engine.StateHash()) == kStateHash);
    CHECK(Hex(events::StateHashOnTwoThreads(engine)) == kStateHash);  // SHA-256 on a second thread: the same bytes
  }

  // Every input prefetched ahead of its fold (Engine::Prefetch, as the fold loops call it), and
  // each input's changes forgotten once folded (TrackChanges(false), as every fold that stores
  // nothing runs): hints and bookkeeping, nothing else; the same bytes and state, nothing kept.
  bool kept = false;
  const Folded prefetched = Fold(log.size(), [&](Engine& engine, size_t i, uint64_t offset) {
    if (i == 0) {
      engine.TrackChanges(false);
      engine.Expect(log.size());  // the idempotency table sized once: its order is never read
    }
    if (i + events::kPrefetchAhead < log.size()) engine.Prefetch(log[i + events::kPrefetchAhead]);
    ApplyResult result = engine.Apply(log[i], offset);
    const ChangeSet& changes = engine.state().changes;
    kept = kept || !changes.applications.empty() || !changes.idempotency.empty() || !changes.children.empty();
    return result;
  });
  CHECK(prefetched.journal == kJournalSha256);
  CHECK(prefetched.state == kStateHash);
  CHECK_FALSE(kept);

  events::Codec codec;
  std::vector<std::string> lines;
  lines.reserve(log.size());
  for (const auto& action : log) lines.push_back(codec.ActionToJson(action));
  std::vector<uint8_t> parsed;
  const Folded json = Fold(lines.size(), [&](Engine& engine, size_t i, uint64_t offset) {
    const events::CodecError error = codec.ParseAction(lines[i], &parsed);
    REQUIRE_MESSAGE(error.code == fb::RejectionCode::None, error.reason);
    return engine.Apply(parsed, offset);
  });
  CHECK(json.journal == kJournalSha256);
  CHECK(json.state == kStateHash);
}

// Recorded on 2026-12-05 at the commit that brought message templates (SetMessageTemplates, 956fd4e):
// the same history with the catalogue's texts posted first as templates. The state hash was
// re-recorded the same evening when the posted words became state (State::template_book, stored
// under "templates/<version>"); the journal did not change. Recorded again on 2026-12-06 with the
// figures above (PlaceFreed).
const std::string kTemplatedJournalSha256 = "25f942b30eb768f54ef98c2c1bfea727f396e65f323ea6a679ff6ef5f30aef34";
const std::string kTemplatedStateHash = "2bdf3f3ac4afa7d81ff5c054bff6f3fa58d9ed383d9e6d068628f24af63416ae";

// Every notification's words as the journal says them: written out, or from the journal's templates.
struct Said {
  uint64_t application;
  fb::NotificationKind kind;
  std::string ru, kk;
  bool operator==(const Said&) const = default;
};

std::vector<Said> NotificationsOf(const std::vector<std::vector<uint8_t>>& log, Folded* folded, uint64_t* bytes) {
  Engine engine;
  Sha256Hasher journal;
  journal.Begin();
  messages::TemplateBook templates;
  std::vector<Said> said;
  for (size_t i = 0; i < log.size(); ++i) {
    const ApplyResult result = engine.Apply(log[i], i);
    for (const auto bytes_of : result.records) {
      AddFramed(journal, bytes_of);
      *bytes += bytes_of.size();
      ++folded->records;
      const fb::JournalRecord* record = fb::GetJournalRecord(bytes_of.data());
      if (record->decisions() == nullptr) continue;
      for (const fb::Decision* d : *record->decisions()) {
        if (d->body_type() == fb::DecisionBody::MessageTemplatesSet) {
          CHECK(templates.Post(*record->action_nested_root()->body_as_SetMessageTemplates()) ==
                d->body_as_MessageTemplatesSet()->version());
        }
        if (const auto* n = d->body_as_Notification()) {
          messages::Text text = templates.TextOf(*n);
          said.push_back(Said{n->application(), n->kind(), std::move(text.ru), std::move(text.kk)});
        }
      }
    }
  }
  folded->journal = Hex(journal.End());
  folded->state = Hex(engine.StateHash());
  return said;
}

TEST_CASE("message templates: a history with the catalogue posted as templates tells every family the same words") {
  workload::SimulationOptions options;
  options.seed = 2025;
  options.applications = 8000;
  options.months = 18;
  options.country = true;
  options.message_templates = false;
  const std::vector<std::vector<uint8_t>> inline_log = SimulatedLog(options);
  options.message_templates = true;
  const std::vector<std::vector<uint8_t>> templated_log = SimulatedLog(options);
  REQUIRE(templated_log.size() == inline_log.size() + 1);  // the posting, and nothing else

  Folded inline_folded, templated;
  uint64_t inline_bytes = 0, templated_bytes = 0;
  const std::vector<Said> written = NotificationsOf(inline_log, &inline_folded, &inline_bytes);
  const std::vector<Said> worded = NotificationsOf(templated_log, &templated, &templated_bytes);
  CHECK(inline_folded.journal == kJournalSha256);
  MESSAGE(fmt::format("{} notifications; journal {} bytes written out, {} with templates ({:.1f}%); journal {}, state {}",
                      written.size(), inline_bytes, templated_bytes,
                      100.0 * static_cast<double>(templated_bytes) / static_cast<double>(inline_bytes), templated.journal,
                      templated.state));
  REQUIRE(written.size() > 10000);
  CHECK(written.size() == worded.size());
  size_t differ = 0;
  for (size_t i = 0; i < std::min(written.size(), worded.size()); ++i) {
    if (!(written[i] == worded[i]) && differ++ < 3) {
      MESSAGE(fmt::format("notification {}: '{}' / '{}' against '{}' / '{}'", i, written[i].ru, written[i].kk,
                          worded[i].ru, worded[i].kk));
    }
  }
  CHECK(differ == 0);
  CHECK(templated.records <= inline_folded.records + 1);  // fewer parts: smaller records split less (DESIGN §5)
  CHECK(templated_bytes < inline_bytes * 4 / 5);  // the words are the journal's once, not in every record
  CHECK(templated.journal == kTemplatedJournalSha256);
  CHECK(templated.state == kTemplatedStateHash);

  // The same history with prefetch, no change tracking and the JSON path: the same bytes.
  const Folded again = Fold(templated_log.size(), [&](Engine& engine, size_t i, uint64_t offset) {
    if (i == 0) {
      engine.TrackChanges(false);
      engine.Expect(templated_log.size());
    }
    if (i + events::kPrefetchAhead < templated_log.size()) engine.Prefetch(templated_log[i + events::kPrefetchAhead]);
    return engine.Apply(templated_log[i], offset);
  });
  CHECK(again.journal == kTemplatedJournalSha256);
  CHECK(again.state == kTemplatedStateHash);
  events::Codec codec;
  std::vector<uint8_t> parsed;
  const Folded json = Fold(templated_log.size(), [&](Engine& engine, size_t i, uint64_t offset) {
    const events::CodecError error = codec.ParseAction(codec.ActionToJson(templated_log[i]), &parsed);
    REQUIRE_MESSAGE(error.code == fb::RejectionCode::None, error.reason);
    return engine.Apply(parsed, offset);
  });
  CHECK(json.journal == kTemplatedJournalSha256);
  CHECK(json.state == kTemplatedStateHash);
}

}  // namespace
}  // namespace kezek::test
