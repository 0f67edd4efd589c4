// The JSON fast path (events/json_decoder.h) against FlatBuffers' own parser: for every line,
// Codec::ParseAction (fast path, falling back to the parser) and Codec::ParseActionByParser give
// the same rejection code, the same reason and the same canonical bytes. Lines: every action of a
// generated city and country history (each of which must take the fast path), the crash corpus,
// one line per rejection class the fast path leaves to the parser, and mutated lines. The
// libFuzzer target tests/fuzz/json_decoder_fuzz.cc runs the same comparison on fuzzed lines
// (scripts/fuzz.sh).
#include <algorithm>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <simdjson.h>

#include "events/codec.h"
#include "events/decode_ahead.h"
#include "events/input.h"
#include "events/limits.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

// "" when both paths agree on `line`; what differs otherwise.
std::string Differs(events::Codec& codec, std::string_view line) {
  std::vector<uint8_t> fast, slow;
  const events::CodecError a = codec.ParseAction(line, &fast);
  const events::CodecError b = codec.ParseActionByParser(line, &slow);
  if (a.code != b.code || a.reason != b.reason) {
    return fmt::format("verdicts differ: fast path {} '{}', parser {} '{}'", static_cast<int>(a.code), a.reason,
                       static_cast<int>(b.code), b.reason);
  }
  if (fast != slow) return fmt::format("both accept, the bytes differ ({} and {} bytes)", fast.size(), slow.size());
  return "";
}

std::vector<std::string> HistoryLines(bool country) {
  workload::SimulationOptions options;
  options.seed = 99;
  options.applications = country ? 3000 : 1500;
  options.months = 14;
  options.country = country;
  events::Codec codec;
  std::vector<std::string> lines;
  for (const auto& action : SimulatedLog(options)) lines.push_back(codec.ActionToJson(action));
  return lines;
}

TEST_CASE("json decoder: every action of a generated history takes the fast path and gives the parser's bytes") {
  for (const bool country : {false, true}) {
    events::Codec codec;
    const std::vector<std::string> lines = HistoryLines(country);
    size_t differing = 0;
    for (const std::string& line : lines) {
      const std::string d = Differs(codec, line);
      if (!d.empty() && ++differing <= 3) MESSAGE(fmt::format("{} on: {}", d, line.substr(0, 300)));
    }
    CHECK(differing == 0);
    // Differs parses each line once through the codec: all of them through the fast path.
    CHECK(codec.fast_tried() == lines.size());
    CHECK(codec.fast_taken() == lines.size());
    MESSAGE(fmt::format("{} lines ({}), all by the fast path", lines.size(), country ? "country" : "city"));
  }
}

// `e` printed with each object's keys in another order: reversed, then every `*_type` key moved
// before the rest (a union's type must come before its value for the fast path to take it).
std::string Reordered(simdjson::dom::element e) {
  if (e.type() == simdjson::dom::element_type::ARRAY) {
    std::string out = "[";
    const simdjson::dom::array array = e.get_array().value_unsafe();
    for (const simdjson::dom::element item : array) out += (out.size() > 1 ? "," : "") + Reordered(item);
    return out + "]";
  }
  if (e.type() != simdjson::dom::element_type::OBJECT) return simdjson::minify(e);
  std::vector<std::pair<std::string, std::string>> pairs;
  const simdjson::dom::object object = e.get_object().value_unsafe();
  for (const simdjson::dom::key_value_pair pair : object) {
    pairs.emplace_back(std::string(pair.key), Reordered(pair.value));
  }
  std::reverse(pairs.begin(), pairs.end());
  std::stable_partition(pairs.begin(), pairs.end(), [](const auto& p) { return p.first.ends_with("_type"); });
  std::string out = "{";
  for (const auto& [key, value] : pairs) out += fmt::format("{}\"{}\":{}", out.size() > 1 ? "," : "", key, value);
  return out + "}";
}

TEST_CASE("json decoder: keys in any order, empty strings and vectors, defaults written out: the canonical bytes") {
  // The fast path writes the canonical form itself (the order Pack builds in, not the line's), so
  // a line's key order, an empty string or vector and a default value must not show in its bytes.
  events::Codec codec;
  simdjson::dom::parser parser;
  size_t lines = 0, differing = 0;
  for (const std::string& line : HistoryLines(true)) {
    const std::string reordered = Reordered(parser.parse(line).value());
    if (reordered == line) continue;
    ++lines;
    const std::string d = Differs(codec, reordered);
    if (!d.empty() && ++differing <= 3) MESSAGE(fmt::format("{} on: {}", d, reordered.substr(0, 300)));
  }
  CHECK(lines > 1000);
  CHECK(differing == 0);
  CHECK(codec.fast_taken() == lines);
  const std::string head = R"({"schema_version":1,"instant_ms":1704067200000,"actor":{"role":"Portal","iin":"010101500011"},)";
  const std::vector<std::string> forms = {
      head + R"("idempotency_key":"","body_type":"Withdraw","body":{"application":5}})",   // an empty string
      head + R"("idempotency_key":"k","body_type":"Withdraw","body":{"application":0}})",  // a default
      R"({"schema_version":0,"instant_ms":0,"actor":{"role":"Portal","iin":""},"body_type":"ClockTick","body":{}})",
      R"({"body_type":"SetPriorityPolicy","body":{"tiers":[]}})",                          // an empty vector
      R"({"body_type":"SetPriorityPolicy","body":{"tiers":[{},{"code":"","categories":[]},{"categories":["","b"]}]}})",
      R"({"body_type":"UpdateCalendar","body":{"days":[{"date":0},{"kind":"Holiday","date":20240101}]}})",
      R"({"actor":{},"body_type":"ClockTick","body":{},"idempotency_key":"z","schema_version":1})",
  };
  const uint64_t taken = codec.fast_taken();
  for (const std::string& line : forms) {
    CAPTURE(line);
    CHECK(Differs(codec, line) == "");
  }
  CHECK(codec.fast_taken() == taken + forms.size());  // each of them by the fast path
}

TEST_CASE("json decoder: each form the fast path leaves to the parser gets the parser's verdict") {
  const std::string head = R"({"schema_version":1,"idempotency_key":"k","instant_ms":1704067200000,"actor":{"role":"Portal","iin":"010101500011"},)";
  const std::vector<std::string> lines = {
      head + R"("body_type":"Withdraw","body":{"application":5}})",            // plain: the fast path
      head + R"("body_type":"Withdraw","body":{"application":5},"x":1})",      // an unknown field
      head + R"("body_type":"Withdraw","body":{"application":5,"application":6}})",  // a repeated field
      head + R"("body_type":"Withdraw","body":{"application":null}})",         // null
      head + R"("body_type":"Withdraw","body":{"application":"5"}})",          // a quoted number
      head + R"("body_type":"Withdraw","body":{"application":5.0}})",          // a fraction
      head + R"("body_type":"Withdraw","body":{"application":5e2}})",          // an exponent
      head + R"("body_type":"Withdraw","body":{"application":-0}})",           // minus zero, unsigned
      head + R"("body_type":"Withdraw","body":{"application":-1}})",           // negative, unsigned
      head + R"("body_type":"Withdraw","body":{"application":18446744073709551615}})",  // ulong max
      head + R"("body_type":"Withdraw","body":{"application":18446744073709551616}})",  // past it
      head + R"("body_type":"Withdraw","body":{"application":0x10}})",         // hexadecimal
      head + R"("body_type":"ChooseKindergarten","body":{"application":5,"group":4294967296}})",  // past uint
      head + R"("body_type":"AnswerInterest","body":{"application":5,"interested":1}})",  // a number as bool
      head + R"("body_type":"AnswerInterest","body":{"application":5,"interested":"true"}})",
      head + R"("body_type":3,"body":{"application":5}})",                     // the type as a number
      head + R"("body_type":200,"body":{"application":5}})",                   // an unknown type number
      head + R"("body_type":"Nothing","body":{"application":5}})",             // an unknown type name
      head + R"("body_type":"NONE"})",
      head + R"("body":{"application":5},"body_type":"Withdraw"})",            // the value before its type
      head + R"("body_type":"Withdraw"})",                                      // a type without its value
      head + R"("body":{"application":5}})",                                    // a value without its type
      head + R"("body_type":"Withdraw","body":[1]})",
      head + R"("body_type":"Withdraw","body":{"application":5}} trailing)",
      head + R"("body_type":"Withdraw","body":{"application":5}}{})",
      head + R"("body_type":"Withdraw","body":{"application":5},})",           // a trailing comma
      head + R"(body_type:"Withdraw","body":{"application":5}})",              // an unquoted key
      head + R"("body_type":"Withdraw", /* c */ "body":{"application":5}})",   // a comment
      R"({"schema_version":1,"actor":{"role":7}})",                             // an enum as a number
      R"({"schema_version":1,"actor":{"role":"Portal Kindergarten"}})",         // flags syntax
      R"({"schema_version":1,"actor":{"role":"Role.Portal"}})",
      R"({"schema_version":70000})",                                            // past ushort
      R"({"schema_version":-1})",
      R"({"instant_ms":-9223372036854775808})",
      R"({"instant_ms":-9223372036854775809})",
      R"({"idempotency_key":"a\u0000b"})",                                      // NUL inside a string
      R"({"idempotency_key":"\ud83d\ude00"})",                                  // a surrogate pair
      R"({"idempotency_key":"\ud83d"})",                                        // a lone surrogate
      R"({"idempotency_key":"\udc00x"})",
      "{\"idempotency_key\":\"\xff\"}",                                         // not UTF-8
      "{\"idempotency_key\":\"\xed\xa0\x80\"}",                                 // a surrogate in UTF-8
      "{\"idempotency_key\":\"\xc0\xaf\"}",                                     // overlong
      "{\"idempotency_key\":\"tab\there\"}",                                    // a raw control character
      R"({"idempotency_key":"\x41"})",
      R"({"idempotency_key":'single'})",
      R"({"idempotency_key":["a"]})",
      R"({"actor":null})",
      R"({"actor":[]})",
      R"({"actor":{}})",
      R"({"body_type":"SetPriorityPolicy","body":{"tiers":[{"code":"a","categories":["x",null]}]}})",
      R"({"body_type":"SetPriorityPolicy","body":{"tiers":[{"code":"a","categories":[]},{}]}})",
      R"({"body_type":"SetPriorityPolicy","body":{"tiers":{}}})",
      R"({"body_type":"UpdateCalendar","body":{"days":[{"date":20240101,"kind":"Holiday"},{"date":1,"kind":"Nope"}]}})",
      R"({"body_type":"UpdateCalendar","body":{"days":[{"date":20240101,"kind":"Holiday","note":""}]}})",
      R"({"b\u006fdy_type":"ClockTick","body":{}})",                            // an escaped key
      R"({})", R"([])", R"("text")", R"(1)", R"(null)", "", " ", "{", "}", R"({"a")", "\xef\xbb\xbf{}",
      std::string(200, '[') + std::string(200, ']'),
      [] {  // 5,000 tables: decoded by the fast path, refused by the Verifier (at most 4,096 tables)
        std::string tiers;
        for (int i = 0; i < 5000; ++i) tiers += i == 0 ? "{}" : ",{}";
        return R"({"body_type":"SetPriorityPolicy","body":{"tiers":[)" + tiers + "]}}";
      }(),
      "{\"idempotency_key\":\"" + std::string(300'000, 'a') + "\"}",            // over the line's limit
  };
  events::Codec codec;
  for (const std::string& line : lines) {
    CAPTURE(line.substr(0, 200));
    CHECK(Differs(codec, line) == "");
  }
  CHECK(codec.fast_taken() >= 5);                   // plain lines took the fast path
  CHECK(codec.fast_taken() < codec.fast_tried());   // and the rest went to the parser
}

TEST_CASE("json decoder: the crash corpus and mutated lines get the parser's verdict and bytes") {
  events::Codec codec;
  std::vector<std::string> seeds = HistoryLines(false);
  seeds.resize(std::min<size_t>(seeds.size(), 4000));
  std::ifstream corpus(std::string(KEZEK_SOURCE_DIR) + "/tests/corpus/crashes.jsonl");
  REQUIRE(corpus);
  size_t corpus_lines = 0;
  for (std::string line; std::getline(corpus, line); ++corpus_lines) {
    CHECK(Differs(codec, line) == "");
    seeds.push_back(line);
  }
  CHECK(corpus_lines > 10);
  const std::vector<std::string> tokens = {
      "null", "-0", "1e2", "0.5", "\"x\"", "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "\xff",
      "\xc3\xa9", "true", "false", "18446744073709551616", "-1", "\"body_type\":\"Withdraw\",", "\"body\":{},",
      "\"actor\":{\"role\":\"Portal\"},", "\"schema_version\":1,", "/*", "Portal", "\"Holiday\"", " ", "\n", "\t"};
  std::mt19937_64 random(12);
  const auto below = [&](size_t n) { return static_cast<size_t>(random() % n); };
  size_t differing = 0;
  const size_t kMutations = 30'000;
  for (size_t i = 0; i < kMutations; ++i) {
    std::string line = seeds[below(seeds.size())];
    for (size_t edits = 1 + below(3); edits > 0 && !line.empty(); --edits) {
      const size_t at = below(line.size());
      switch (below(5)) {
        case 0: line[at] = static_cast<char>(random()); break;                            // a byte
        case 1: line.erase(at, 1 + below(8)); break;                                       // a cut
        case 2: line.insert(at, tokens[below(tokens.size())]); break;                      // a token
        case 3: line.insert(at, line.substr(below(line.size()), 1 + below(24))); break;    // a repeat
        default: {                                                                         // a value swapped
          const size_t colon = line.find(':', at);
          if (colon != std::string::npos) line.insert(colon + 1, tokens[below(tokens.size())]);
        }
      }
    }
    const std::string d = Differs(codec, line);
    if (!d.empty() && ++differing <= 5) MESSAGE(fmt::format("{} on: {}", d, line.substr(0, 400)));
  }
  CHECK(differing == 0);
  MESSAGE(fmt::format("{} mutated lines: {} by the fast path, {} left to the parser", kMutations,
                      codec.fast_taken(), codec.fast_tried() - codec.fast_taken()));
  CHECK(codec.fast_taken() > 1000);
  CHECK(codec.fast_tried() - codec.fast_taken() > 1000);
}

TEST_CASE("decode ahead: the lines decoded on a thread of their own are EncodeInput's payloads, in order, aligned") {
  // A history's lines with refusals among them (blank, garbage, over the line limit), over many batches.
  std::vector<std::string> lines = HistoryLines(false);
  for (size_t i = 0; i < lines.size(); i += 97) lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), i % 2 ? "" : "{ garbage");
  lines.push_back(std::string(limits::kJsonLineBytesMax + 10, 'x'));
  REQUIRE(lines.size() > 3 * events::DecodeAhead::kBatchInputs);
  events::Codec codec;
  size_t next = 0;
  events::DecodeAhead decoded([&](events::InputLine* line, std::string*) {
    if (next == lines.size()) return false;
    *line = events::LineOf(lines[next++]);
    return true;
  });
  size_t k = 0, batches = 0, misaligned = 0, differing = 0;
  while (const events::DecodeAhead::Batch* batch = decoded.Next()) {
    ++batches;
    for (size_t i = 0; i < batch->size(); ++i, ++k) {
      const std::span<const uint8_t> payload = batch->payload(i);
      if (reinterpret_cast<uintptr_t>(payload.data() + 1) % 16 != 0) ++misaligned;
      const std::vector<uint8_t> expected = events::EncodeInput(codec, events::LineOf(lines[k]));
      if (!std::equal(payload.begin(), payload.end(), expected.begin(), expected.end())) ++differing;
    }
  }
  CHECK(k == lines.size());
  CHECK(batches > 3);
  CHECK(misaligned == 0);
  CHECK(differing == 0);
  CHECK(decoded.error().empty());
  CHECK(decoded.Next() == nullptr);  // the end stays the end
}

TEST_CASE("decode ahead: a source's failure ends the lines with its message; an early stop does not wait") {
  std::vector<std::string> lines = HistoryLines(false);
  size_t next = 0;
  {
    events::DecodeAhead decoded([&](events::InputLine* line, std::string* error) {
      if (next == 2'500) {
        *error = "cannot read input: Input/output error";
        return false;
      }
      *line = events::LineOf(lines[next++]);
      return true;
    });
    size_t taken = 0;
    while (const events::DecodeAhead::Batch* batch = decoded.Next()) taken += batch->size();
    CHECK(taken == 2'500);  // every line read before the failure is handed over
    CHECK(decoded.error() == "cannot read input: Input/output error");
  }
  // Destroyed after one batch, with the thread blocked on a full queue: it stops.
  next = 0;
  events::DecodeAhead early([&](events::InputLine* line, std::string*) {
    *line = events::LineOf(lines[next++ % lines.size()]);
    return true;
  });
  REQUIRE(early.Next() != nullptr);
}

}  // namespace
}  // namespace kezek::test
