// The edges a new user broke (issue #15), as specifications: one way from an input line to the
// engine for every path, text cut on character boundaries, JSON that is always valid and shows
// every value, answers that repeat the original, a data directory opened read-only or refused
// when its journal and state disagree, stored counts that cannot drive a loop.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "adapters/embedded/runtime.h"
#include "adapters/embedded/segment_log.h"
#include "engine/limits.h"
#include "engine/state_codec.h"
#include "events/answer.h"
#include "events/input.h"
#include "events/limits.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

namespace fs = std::filesystem;
using adapters::Runtime;

// Strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n;
  }
  return true;
}

std::string Repeat(std::string_view unit, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += unit;
  return out;
}

const std::string kTick =
    R"({"schema_version":1,"idempotency_key":"tick-0","instant_ms":1704067200000,"actor":{"role":"System"},"body_type":"ClockTick","body":{}})";

// Lines every path must journal alike: actions, blank lines, garbage, an over-limit line.
std::vector<std::string> AwkwardLines() {
  std::vector<std::string> lines = {kTick, "", "   \t\r", "{ not json", "\r"};
  lines.push_back(R"({"x": ")" + std::string(limits::kJsonLineBytesMax, 'a') + R"("})");
  lines.push_back(R"({"schema_version":1,"idempotency_key":"k1","instant_ms":1704067200000,"actor":{"role":"EducationDepartment"},"body_type":"UpsertLocality"})");
  lines.push_back(kTick);  // a repeat
  lines.push_back(R"({"" : 1})");
  return lines;
}

std::vector<std::vector<uint8_t>> FoldLines(const std::vector<std::string>& lines) {
  Engine engine;
  events::Codec codec;
  std::vector<std::vector<uint8_t>> records;
  for (size_t i = 0; i < lines.size(); ++i) {
    ApplyResult result;
    std::string error;
    REQUIRE(events::FoldInput(engine, events::EncodeInput(codec, events::LineOf(lines[i])), i, &result, &error));
    for (const auto record : result.records) records.emplace_back(record.begin(), record.end());
  }
  return records;
}

Runtime::Options Small() {
  Runtime::Options options;
  options.create = true;
  options.batch_max = 7;
  options.log.segment_bytes = 4096;  // several segments
  return options;
}

std::unique_ptr<Runtime> OpenOrFail(const std::string& dir, const Runtime::Options& options, bool read_only = false) {
  std::unique_ptr<Runtime> runtime;
  const adapters::Status s = read_only ? Runtime::OpenReadOnly(dir, options, &runtime) : Runtime::Open(dir, options, &runtime);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return runtime;
}

std::vector<std::vector<uint8_t>> JournalOf(Runtime& runtime) {
  std::vector<std::vector<uint8_t>> records;
  REQUIRE(runtime.journal_log().Read(0, [&](uint64_t, std::span<const uint8_t> r) {
    records.emplace_back(r.begin(), r.end());
    return true;
  }).ok());
  return records;
}

}  // namespace

TEST_CASE("input: fold and append journal blank lines, over-limit lines and garbage byte for byte alike") {
  const std::vector<std::string> lines = AwkwardLines();
  const auto folded = FoldLines(lines);
  REQUIRE(folded.size() == lines.size());
  const std::string dir = TempDir("one-journal");
  auto runtime = OpenOrFail(dir, Small());
  std::vector<uint64_t> answered;
  REQUIRE(runtime->Append(lines, [&](const Runtime::Answer& a) { answered.push_back(a.input); }).ok());
  CHECK(answered.size() == lines.size());
  CHECK(JournalOf(*runtime) == folded);
  const auto* blank = fb::GetJournalRecord(folded[1].data());
  CHECK(blank->outcome() == fb::Outcome::Rejected);
  CHECK(blank->rejection()->code() == fb::RejectionCode::MalformedJson);
  CHECK(blank->rejection()->reason()->str() == "a blank line holds no action");
  runtime.reset();
  fs::remove_all(dir);
}

TEST_CASE("input: an over-limit line is journaled as its size, SHA-256 and first bytes, never whole") {
  const std::string line = "{\"x\": \"" + Repeat("Ж", limits::kJsonLineBytesMax) + "\"}";
  const auto records = FoldLines({line});
  const auto* record = fb::GetJournalRecord(records[0].data());
  CHECK(record->rejection()->code() == fb::RejectionCode::LimitExceeded);
  Sha256Hasher sha256;
  const Sha256 digest = sha256.Of({reinterpret_cast<const uint8_t*>(line.data()), line.size()});
  std::string hex;
  for (const uint8_t b : digest) hex += fmt::format("{:02x}", b);
  const std::string reason = record->rejection()->reason()->str();
  CHECK(reason.find(std::to_string(line.size())) != std::string::npos);
  CHECK(reason.find(hex) != std::string::npos);
  REQUIRE(record->raw_input() != nullptr);
  CHECK(record->raw_input()->size() <= limits::kOversizeLineHeadBytes);
  CHECK(record->raw_input()->size() > limits::kOversizeLineHeadBytes - 4);
  const std::string_view kept(reinterpret_cast<const char*>(record->raw_input()->data()), record->raw_input()->size());
  CHECK(ValidUtf8(kept));  // cut between characters
  CHECK(line.starts_with(kept));
  CHECK(records[0].size() < 4096);
}

TEST_CASE("codec: a body_type without its body (absent, null, a number) is MissingField, never a crash") {
  World world(false);
  CHECK(world.Json(kTick).code == fb::RejectionCode::None);
  const auto envelope = [](int key, const std::string& tail) {
    return "{\"schema_version\": 1, \"idempotency_key\": \"k" + std::to_string(key) +
           "\", \"instant_ms\": 1704067200000, \"actor\": {\"role\": \"EducationDepartment\"}, \"body_type\": " + tail;
  };
  int key = 0;
  const std::vector<std::string> tails = {"\"UpsertLocality\"}", "\"UpsertLocality\", \"body\": null}", "12}"};
  for (const std::string& tail : tails) {
    CAPTURE(tail);
    const Outcome o = world.Json(envelope(++key, tail));
    CHECK(o.code == fb::RejectionCode::MissingField);
    CHECK(o.reason() == "body is required");
    REQUIRE(o.journal()->action() != nullptr);  // it became an action: the engine refused it
  }
  SUBCASE("codec: body_type 200, with or without a body, is UnknownActionKind") {
    CHECK(world.Json(envelope(10, "200}")).code == fb::RejectionCode::UnknownActionKind);
    CHECK(world.Json(envelope(11, "200, \"body\": {}}")).code ==
          fb::RejectionCode::UnknownActionKind);
  }
}

TEST_CASE("engine: Prefetch of damaged, cut, misaligned or oversized bytes is harmless and changes nothing") {
  workload::SimulationOptions options;
  options.seed = 7;
  options.applications = 200;
  options.months = 6;
  options.country = true;
  const std::vector<std::vector<uint8_t>> log = SimulatedLog(options);
  REQUIRE(log.size() > 100);
  const auto fold = [&](bool hostile) {
    Engine engine;
    Sha256Hasher journal;
    journal.Begin();
    std::vector<uint8_t> misaligned, damaged;
    for (size_t i = 0; i < log.size(); ++i) {
      if (hostile) {
        const std::vector<uint8_t>& next = log[(i + 1) % log.size()];
        // Every cut of the next action, each in a buffer of its own size (ASan sees a read past it).
        for (size_t cut = 0; cut < next.size(); cut += 1 + cut / 8) {
          const std::vector<uint8_t> part(next.begin(), next.begin() + static_cast<long>(cut));
          engine.Prefetch(part);
        }
        misaligned.assign(1, 0);
        misaligned.insert(misaligned.end(), next.begin(), next.end());
        engine.Prefetch(std::span<const uint8_t>(misaligned).subspan(1));
        damaged = next;
        for (size_t at = 0; at < damaged.size(); at += 7) {
          damaged[at] = static_cast<uint8_t>(damaged[at] ^ 0x5A ^ i);
          engine.Prefetch(damaged);
        }
      }
      if (i + events::kPrefetchAhead < log.size()) engine.Prefetch(log[i + events::kPrefetchAhead]);
      const ApplyResult result = engine.Apply(log[i], i);
      for (const auto record : result.records) journal.Update(record);
    }
    if (hostile) {
      engine.Prefetch(std::vector<uint8_t>(limits::kActionBytesMax + 1, 0xFF));
      engine.Prefetch({});
      // Every body type without its body, and with another type's body (a table whose first
      // field is not what the type says), each hinted twice: the second call takes the first a
      // step further (PrefetchFollowing).
      for (const fb::ActionBody type : fb::EnumValuesActionBody()) {
        for (const bool with_body : {false, true}) {
          flatbuffers::FlatBufferBuilder builder;
          const auto key = builder.CreateString("hint");
          const auto body = with_body ? fb::CreateUpsertLocality(builder, 1, builder.CreateString("x")).Union() : 0;
          fb::FinishActionBuffer(builder, fb::CreateAction(builder, kSchemaVersion, key, 0, 0, type, body));
          engine.Prefetch(builder.GetBufferSpan());
          engine.Prefetch(builder.GetBufferSpan());
        }
      }
    }
    return std::pair{journal.End(), engine.StateHash()};
  };
  const auto plain = fold(false);
  const auto hostile = fold(true);
  CHECK(plain.first == hostile.first);
  CHECK(plain.second == hostile.second);
}

TEST_CASE("input: PrefetchQueue hands back every payload once, in order, its action aligned, whatever the sizes") {
  Engine engine;
  events::PrefetchQueue queue;
  events::PrefetchQueue::Ready ready;
  std::vector<std::vector<uint8_t>> sent, got;
  std::vector<uint64_t> indexes;
  const auto take = [&] {
    got.emplace_back(ready.payload.begin(), ready.payload.end());
    indexes.push_back(ready.index);
    CHECK(reinterpret_cast<uintptr_t>(ready.payload.data() + 1) % alignof(std::max_align_t) == 0);
  };
  for (uint64_t i = 0; i < 40; ++i) {
    // Sizes that grow and shrink (a slot's buffer reused for a longer or shorter payload); a few
    // frames that are not actions, and garbage behind an action's tag.
    std::vector<uint8_t> payload((i * 37) % 300 + 1, static_cast<uint8_t>(i));
    payload[0] = i % 5 == 0 ? uint8_t{9} : events::kInputAction;
    sent.push_back(payload);
    if (queue.Push(engine, 1000 + i, payload, &ready)) take();
    CHECK(got.size() == (i + 1 > events::kPrefetchAhead ? i + 1 - events::kPrefetchAhead : 0));
  }
  while (queue.Pop(&ready)) take();
  CHECK_FALSE(queue.Pop(&ready));
  REQUIRE(got.size() == sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    CHECK(got[i] == sent[i]);
    CHECK(indexes[i] == 1000 + i);
  }
}

TEST_CASE("codec: a reason quoting the sender's text cuts it on a character boundary") {
  World world;
  const int64_t at = Utc(2020, 1, 1);  // the World's own setup instant: no jump of engine time
  CHECK(world.Tick(at).code == fb::RejectionCode::None);
  const std::string fullwidth = "１２３４５６７８９０１２";  // 36 bytes: the cut at 32 falls inside a character
  SUBCASE("an IIN of twelve fullwidth digits") {
    fb::FileApplicationT file;
    file.child_iin = fullwidth;
    file.child_name = "Тест";
    file.locality = World::kLocality;
    file.priority_category = "general";
    const Outcome o = world.Do(World::Action(fb::Role::Portal, file, World::kParent), at);
    CHECK(o.code == fb::RejectionCode::IinWrongLength);
    CHECK(ValidUtf8(o.reason()));
    CHECK(o.reason().find("１２３４５６７８９０'") != std::string::npos);
  }
  SUBCASE("a priority category of 41 characters") {
    fb::FileApplicationT file;
    file.child_iin = MakeIin(2018, 5, 18);
    file.child_name = "Тест";
    file.locality = World::kLocality;
    file.priority_category = "x" + Repeat("Ж", 40);
    const Outcome o = world.Do(World::Action(fb::Role::Portal, file, World::kParent), at);
    CHECK(o.code == fb::RejectionCode::UnknownPriorityCategory);
    CHECK(ValidUtf8(o.reason()));
  }
  SUBCASE("a parser message quoting a role of 600 characters") {
    const std::string line = R"({"schema_version":1,"idempotency_key":"r","instant_ms":1704067200000,"actor":{"role":")" +
                             Repeat("Ж", 600) + R"("},"body_type":"ClockTick","body":{}})";
    const Outcome o = world.Json(line);
    CHECK(o.code == fb::RejectionCode::MalformedJson);
    CHECK(o.reason().size() <= limits::kParserMessageBytesMax);
    CHECK(ValidUtf8(o.reason()));
    CHECK(ValidUtf8(world.codec.RecordToJson(o.record)));
  }
}

TEST_CASE("codec: a record holding bytes that are not UTF-8 prints as valid JSON, the bytes as \\u00XX") {
  World world(false);
  fb::UpsertLocalityT locality{{}, 1, std::string("Ж\xff\xd0 \x01", 6), "ok", "X"};
  const Outcome o = world.Do(World::Action(fb::Role::EducationDepartment, locality), Utc(2024, 1, 1));
  const std::string json = world.codec.RecordToJson(o.record);
  CHECK(ValidUtf8(json));
  CAPTURE(json);
  CHECK(json.find(R"("name_ru": "Ж\u00ff\u00d0 \u0001")") != std::string::npos);
  CHECK(json.find('\x01') == std::string::npos);
}

TEST_CASE("codec: journal JSON prints defaults, UTF-8 text, and prev_sha256 and raw_input as strings") {
  World world(false);
  const Outcome tick = world.Json(kTick);
  const std::string first = world.codec.RecordToJson(tick.record);
  CHECK(first.find(R"("sequence": 0)") != std::string::npos);
  CHECK(first.find(R"("outcome": "Applied")") != std::string::npos);
  CHECK(first.find(R"("prev_sha256": ")" + std::string(64, '0') + "\"") != std::string::npos);
  fb::UpsertLocalityT locality{{}, 1, "г. Алматы", "Алматы қаласы", "ALA"};
  const Outcome applied = world.Do(World::Action(fb::Role::EducationDepartment, locality), Utc(2024, 1, 1));
  const std::string json = world.codec.RecordToJson(applied.record);
  CHECK(json.find("\"name_ru\": \"г. Алматы\"") != std::string::npos);
  CHECK(json.find("\\u04") == std::string::npos);
  const Outcome garbage = world.Json("{ not json");
  CHECK(world.codec.RecordToJson(garbage.record).find(R"("raw_input": "{ not json")") != std::string::npos);
}

TEST_CASE("answer: a repeat is answered with the original's outcome and decisions; a refused one stays refused") {
  const std::string dir = TempDir("answers");
  auto runtime = OpenOrFail(dir, Small());
  events::Codec codec;
  std::vector<std::string> lines;
  const int64_t at = Utc(2025, 2, 3, 9);
  fb::FileApplicationT file;
  file.child_iin = MakeIin(2023, 5, 18);
  file.child_name = "Тест";
  file.locality = 1;
  file.priority_category = "general";
  fb::ActionT filing = World::Action(fb::Role::Portal, file, World::kParent);
  filing.idempotency_key = "filing-1";
  filing.instant_ms = at;
  fb::ActionT tick = World::Action(fb::Role::System, fb::ClockTickT{});
  tick.idempotency_key = "tick";
  tick.instant_ms = at;
  lines.push_back(codec.ActionToJson(events::Codec::Pack(tick)));
  lines.push_back(codec.ActionToJson(events::Codec::Pack(filing)));  // refused: no locality 1 yet
  fb::UpsertLocalityT locality{{}, 1, "г. Алматы", "Алматы қаласы", "ALA"};
  fb::ActionT upsert = World::Action(fb::Role::EducationDepartment, locality);
  upsert.idempotency_key = "locality";
  upsert.instant_ms = at;
  lines.push_back(codec.ActionToJson(events::Codec::Pack(upsert)));
  lines.push_back(codec.ActionToJson(events::Codec::Pack(filing)));  // a repeat of the refused filing
  std::vector<std::string> answers;
  REQUIRE(runtime->Append(lines, [&](const Runtime::Answer& a) {
    answers.push_back(codec.AnswerToJson(events::AnswerOf(a.input, a.records, a.original)));
  }).ok());
  REQUIRE(answers.size() == 4);
  CHECK(answers[1].find(R"("idempotency_key": "filing-1","outcome": "Rejected")") != std::string::npos);
  CHECK(answers[3].find(R"("idempotency_key": "filing-1","outcome": "Rejected","repeat": true,"original_sequence": 1)") !=
        std::string::npos);
  CHECK(answers[3].find(R"("code": "UnknownLocality")") != std::string::npos);

  SUBCASE("answer: a repeated accepted filing tells the application number and position again") {
    fb::ActionT second = filing;
    second.idempotency_key = "filing-2";
    second.body.Set(file);
    std::vector<std::string> more = {codec.ActionToJson(events::Codec::Pack(second))};
    more.push_back(more.front());
    std::vector<std::string> got;
    // No policy: the built-in one with the single category "general"; locality 1 now exists.
    REQUIRE(runtime->Append(more, [&](const Runtime::Answer& a) {
      got.push_back(codec.AnswerToJson(events::AnswerOf(a.input, a.records, a.original)));
    }).ok());
    REQUIRE(got.size() == 2);
    CHECK(got[0].find(R"("outcome": "Applied")") != std::string::npos);
    const size_t decisions = got[0].find(R"("decisions")");
    REQUIRE(decisions != std::string::npos);
    CHECK(got[1].find(R"("outcome": "Applied","repeat": true)") != std::string::npos);
    CHECK(got[1].substr(got[1].find(R"("decisions")")) == got[0].substr(decisions));  // the same decisions
    CHECK(got[1].find("EnteredQueue") != std::string::npos);
  }
  runtime.reset();
  fs::remove_all(dir);
}

TEST_CASE("status: a message's control characters print as \\xNN, its UTF-8 as it is") {
  CHECK(adapters::Status::NotFound("/tmp/\x01" "bad\nname\x7f").ToString() == "not found: /tmp/\\x01bad\\x0aname\\x7f");
  CHECK(adapters::Status::IoError("/данные/қала").ToString() == "I/O error: /данные/қала");
  CHECK(adapters::Status::Ok().ToString() == "OK");
  CHECK(adapters::Status::Corruption("a\tb").message() == "a\tb");  // the message itself is kept whole
}

TEST_CASE("runtime: a journal whose last record no longer hashes to the state's head is refused, naming both") {
  const std::string dir = TempDir("head");
  {
    auto runtime = OpenOrFail(dir, Small());
    REQUIRE(runtime->Append(AwkwardLines(), {}).ok());
  }
  // Rewrite the last record's last byte, its frame checksum updated to match.
  std::string last;
  for (const auto& e : fs::directory_iterator(fs::path(dir) / "journal")) {
    if (e.path().extension() == ".seg" && e.path().string() > last) last = e.path().string();
  }
  std::vector<uint8_t> bytes = ReadFileBytes(last);
  size_t at = 0;
  size_t frame = 0;
  while (at < bytes.size()) {
    frame = at;
    const uint32_t length = uint32_t{bytes[at + 4]} | uint32_t{bytes[at + 5]} << 8 | uint32_t{bytes[at + 6]} << 16 |
                            uint32_t{bytes[at + 7]} << 24;
    at += 12 + length;
  }
  const uint32_t length = static_cast<uint32_t>(bytes.size() - frame - 12);
  bytes.back() ^= 0x01;
  const uint32_t check = adapters::FrameChecksum(length, {bytes.data() + frame + 12, length});
  for (int i = 0; i < 4; ++i) bytes[frame + 8 + static_cast<size_t>(i)] = static_cast<uint8_t>(check >> (8 * i));
  WriteFileBytes(last, bytes);
  for (const bool read_only : {false, true}) {
    CAPTURE(read_only);
    std::unique_ptr<Runtime> runtime;
    Runtime::Options options = Small();
    const adapters::Status s = read_only ? Runtime::OpenReadOnly(dir, options, &runtime) : Runtime::Open(dir, options, &runtime);
    CHECK(s.code() == adapters::Status::Code::kCorruption);
    CHECK(s.message().find("the state's journal head is") != std::string::npos);
    CHECK(s.message().find(fmt::format("record {} hashes to", AwkwardLines().size() - 1)) != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("runtime: read-only opening takes no lock, folds nothing, and changes no byte") {
  const std::string dir = TempDir("read-only");
  const std::vector<std::string> lines = AwkwardLines();
  auto writer = OpenOrFail(dir, Small());  // holds the lock
  REQUIRE(writer->Append(std::span<const std::string>(lines).first(4), {}).ok());
  REQUIRE(writer->LogOnly(std::span<const std::string>(lines).subspan(4)).ok());  // logged, not folded
  std::map<std::string, std::vector<uint8_t>> before;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) before[e.path().string()] = ReadFileBytes(e.path().string());
  }
  {
    auto reader = OpenOrFail(dir, Small(), /*read_only=*/true);
    CHECK(reader->applied() == 4);
    CHECK(reader->actions().end() == lines.size());
    CHECK(reader->journal().end() == 4);
    CHECK(reader->engine().StateHash() == writer->engine().StateHash());
    CHECK(JournalOf(*reader).size() == 4);
    CHECK(reader->Append(lines, {}).code() == adapters::Status::Code::kInvalidArgument);
  }
  std::map<std::string, std::vector<uint8_t>> after;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) after[e.path().string()] = ReadFileBytes(e.path().string());
  }
  CHECK(after == before);
  SUBCASE("runtime: read-only: an empty directory is no data directory, and stays empty") {
    const std::string empty = TempDir("empty");
    fs::create_directories(empty);
    std::unique_ptr<Runtime> runtime;
    CHECK(Runtime::OpenReadOnly(empty, Small(), &runtime).code() == adapters::Status::Code::kNotFound);
    CHECK(fs::is_empty(empty));
    fs::remove_all(empty);
  }
  writer.reset();
  fs::remove_all(dir);
}

TEST_CASE("runtime: a missing middle segment of actions/ or journal/ is corruption naming the records") {
  std::vector<std::string> lines;
  for (int i = 0; i < 300; ++i) lines.push_back(kTick);  // repeats: small records
  for (const char* log : {"actions", "journal"}) {
    CAPTURE(log);
    const std::string dir = TempDir(fmt::format("gap-{}", log));
    {
      auto runtime = OpenOrFail(dir, Small());
      REQUIRE(runtime->Append(lines, {}).ok());
    }
    std::vector<std::string> segments;
    for (const auto& e : fs::directory_iterator(fs::path(dir) / log)) {
      if (e.path().extension() == ".seg") segments.push_back(e.path().string());
    }
    std::sort(segments.begin(), segments.end());
    REQUIRE(segments.size() >= 3);
    fs::remove(segments[1]);
    for (const bool read_only : {false, true}) {
      std::unique_ptr<Runtime> runtime;
      const adapters::Status s = read_only ? Runtime::OpenReadOnly(dir, Small(), &runtime) : Runtime::Open(dir, Small(), &runtime);
      CHECK(s.code() == adapters::Status::Code::kCorruption);
      CHECK(s.message().find("are missing") != std::string::npos);
    }
    fs::remove_all(dir);
  }
}

TEST_CASE("state codec: a stored count larger than the bytes left is refused at once, never looped over") {
  const std::string huge_u32("\xff\xff\xff\xff", 4);
  const std::string key4("\0\0\0\1", 4);
  State state;
  CHECK_FALSE(state_codec::LoadEntry(state_codec::Family::kOffsets, key4, huge_u32 + std::string(10, '\0'), &state));
  CHECK_FALSE(state_codec::LoadEntry(state_codec::Family::kPolicies, key4, std::string(4, '\0') + huge_u32, &state));
  const std::string queue = std::string(4 + 1 + 2 + 1 + 1 + 4, '\0') + std::string(8, '\xff') + std::string(8, '\0');
  CHECK_FALSE(state_codec::LoadEntry(state_codec::Family::kQueues, std::string(4, '\0'), queue, &state));
}

}  // namespace kezek::test

namespace kezek::test {

TEST_CASE("simulation: only Astana has the 1:3 ratio; a city history of Almaty has none") {
  workload::SimulationOptions options;
  options.seed = 5;
  options.applications = 200;
  options.months = 14;  // the ratio policy would arrive a year in
  Engine engine;
  const auto log = SimulatedLog(options);
  for (size_t i = 0; i < log.size(); ++i) (void)engine.Apply(log[i], i);
  REQUIRE_FALSE(engine.state().policies.empty());
  for (const auto& [locality, policy] : engine.state().policies) {
    CAPTURE(locality.value);
    CHECK_FALSE(policy.ratio.active());
  }
}

}  // namespace kezek::test
