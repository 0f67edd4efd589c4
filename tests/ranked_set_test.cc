// The engine's containers against the standard library's: RankedSet (the queues' ranked sets)
// against std::set under random inserts, erases and rank reads, across block splits and empty
// blocks; Chunked (the applications' storage) against std::vector across chunk boundaries;
// Timers (by day) against one heap of all of them.
#include <functional>
#include <iterator>
#include <queue>
#include <set>
#include <vector>

#include "engine/chunked.h"
#include "engine/queue.h"
#include "engine/ranked_set.h"
#include "engine/state.h"
#include "workload/simulation.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

// Every element in order, and every rank, equal to the model's.
void CheckEqual(const RankedSet<uint32_t, 8>& set, const std::set<uint32_t>& model) {
  REQUIRE(set.size() == model.size());
  std::vector<uint32_t> seen;
  set.ForEach([&](uint32_t v) { seen.push_back(v); });
  REQUIRE(seen == std::vector<uint32_t>(model.begin(), model.end()));
  if (!model.empty()) CHECK(set.front() == *model.begin());
  // ahead(k): the k-th after the least, across blocks, and nothing past the last.
  size_t k = 0;
  for (const uint32_t v : model) {
    const uint32_t* at = set.ahead(k++);
    REQUIRE(at != nullptr);
    CHECK(*at == v);
  }
  CHECK(set.ahead(model.size()) == nullptr);
  CHECK(set.ahead(model.size() + 100) == nullptr);
  uint64_t rank = 0;
  for (const uint32_t v : model) {
    CHECK(set.order_of_key(v) == rank);
    CHECK(set.order_of_key(v + 1) == rank + 1);  // keys are even: v + 1 is absent
    ++rank;
  }
}

}  // namespace

TEST_CASE("ranked set: inserts, erases and ranks equal std::set's, through splits and emptied blocks") {
  workload::Random random(77);
  RankedSet<uint32_t, 8> set;  // small blocks: many splits and emptied blocks
  std::set<uint32_t> model;
  for (int round = 0; round < 4; ++round) {
    CAPTURE(round);
    const int steps = 3000;
    for (int i = 0; i < steps; ++i) {
      const auto value = static_cast<uint32_t>(2 * random.Below(round % 2 == 0 ? 400 : 4000));
      // Rounds 0 and 2 grow the set, 1 and 3 mostly shrink it (to empty in round 3).
      const bool grow = round % 2 == 0 ? random.Chance(800) : random.Chance(round == 3 ? 0 : 200);
      if (grow) {
        CHECK(set.insert(value) == model.insert(value).second);
      } else {
        CHECK(set.erase(value) == model.erase(value));
      }
    }
    if (round == 3) {
      for (const uint32_t v : std::vector<uint32_t>(model.begin(), model.end())) {
        CHECK(set.erase(v) == 1);
        model.erase(v);
      }
    }
    CheckEqual(set, model);
  }
  CHECK(set.empty());
  CHECK(set.order_of_key(10) == 0);
  CHECK(set.erase(10) == 0);
  // Ascending and descending runs (the queue's usual order of filing, and its reverse).
  for (uint32_t v = 0; v < 1000; v += 2) CHECK(set.insert(v));
  for (uint32_t v = 3000; v > 1000; v -= 2) CHECK(set.insert(v));
  for (uint32_t v = 0; v < 1000; v += 2) model.insert(v);
  for (uint32_t v = 3000; v > 1000; v -= 2) model.insert(v);
  CHECK_FALSE(set.insert(500));
  CheckEqual(set, model);
  const RankedSet<uint32_t, 8> copy = set;  // a copy holds its own blocks
  set.clear();
  CHECK(set.empty());
  CheckEqual(copy, model);
}

TEST_CASE("ranked set: a queue's positions follow tier, filing time and number through the ranked sets") {
  Queue queue(QueueKey{});
  std::set<QueueEntry> model;
  workload::Random random(5);
  for (uint64_t id = 1; id <= 2000; ++id) {
    const QueueEntry e{static_cast<uint8_t>(random.Below(3)), InstantMs{static_cast<int64_t>(random.Below(500))},
                       ApplicationId{id}};
    queue.Insert(e, Line::Priority);
    model.insert(e);
  }
  uint64_t position = 1;
  for (const QueueEntry& e : model) CHECK(queue.PositionOf(e, Line::Priority, Ratio{}) == position++);
  const std::vector<QueueEntry> order(model.begin(), model.end());
  for (const QueueEntry& e : model) {
    // What a caller issuing in turn looks at ahead: the heads behind this one, in order.
    for (const size_t k : {size_t{0}, size_t{2}, size_t{4}}) {
      const size_t at = order.size() - queue.size() + k;
      const QueueEntry* behind = queue.Ahead(Line::Priority, k);
      REQUIRE((behind != nullptr) == (at < order.size()));
      if (behind != nullptr) CHECK(*behind == order[at]);
    }
    CHECK(queue.Ahead(Line::General, 0) == nullptr);
    CHECK(queue.PopHead(Ratio{}) == e);
  }
  CHECK(queue.size() == 0);
}

TEST_CASE("chunked: indexes and appends equal std::vector's across chunk boundaries") {
  Chunked<std::vector<int>, 3> chunked;  // chunks of 8
  std::vector<std::vector<int>> model;
  for (int i = 0; i < 100; ++i) {
    chunked.emplace_back(static_cast<size_t>(i % 5), i);
    model.emplace_back(static_cast<size_t>(i % 5), i);
    CHECK(chunked.back() == model.back());
  }
  REQUIRE(chunked.size() == model.size());
  for (size_t i = 0; i < model.size(); ++i) CHECK(chunked[i] == model[i]);
  // An element stays where it is while the storage grows (no chunk ever moves its elements).
  const std::vector<int>* first = &chunked[0];
  for (int i = 0; i < 100; ++i) chunked.push_back(std::vector<int>{i});
  CHECK(&chunked[0] == first);
  const Chunked<std::vector<int>, 3> copy = chunked;
  chunked.clear();
  CHECK(chunked.empty());
  CHECK(copy.size() == 200);
  CHECK(copy[150] == std::vector<int>{50});
}

TEST_CASE("timers: by day, they leave in exactly the order one heap of all of them gives") {
  workload::Random random(2026);
  Timers timers;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> heap;
  constexpr int64_t kDay = 86'400'000;
  int64_t now = -3 * kDay;  // instants before the epoch too: a day is floored, not truncated
  uint64_t taken = 0;
  for (int step = 0; step < 60000; ++step) {
    if (random.Chance(550)) {
      // Mostly ends and starts of days (as deadlines and school-age archivals are), some instants
      // anywhere, some due at once (armed into the day being taken), same instants, many apps.
      const int64_t day = now / kDay + static_cast<int64_t>(random.Below(12));
      int64_t at = day * kDay + (random.Chance(500) ? kDay - 1 : 0);
      if (random.Chance(150)) at = now + static_cast<int64_t>(random.Below(static_cast<uint64_t>(5 * kDay)));
      if (random.Chance(50)) at = now - static_cast<int64_t>(random.Below(1000));
      const Timer timer{InstantMs{at}, ApplicationId{1 + random.Below(500)}, random.Chance(300),
                        static_cast<uint32_t>(random.Below(4))};
      timers.push(timer);
      heap.push(timer);
    } else {
      now += static_cast<int64_t>(random.Below(static_cast<uint64_t>(kDay / 3)));
    }
    REQUIRE(timers.size() == heap.size());
    while (!heap.empty() && heap.top().at.value <= now) {
      REQUIRE(!timers.empty());
      CHECK(timers.next_at() == heap.top().at);
      REQUIRE(timers.top() == heap.top());
      timers.pop();
      heap.pop();
      ++taken;
    }
    CHECK(timers.empty() == heap.empty());
    if (!heap.empty()) CHECK(timers.next_at() == heap.top().at);
  }
  while (!heap.empty()) {
    REQUIRE(timers.top() == heap.top());
    timers.pop();
    heap.pop();
  }
  CHECK(timers.empty());
  CHECK(taken > 10000);
}

}  // namespace kezek::test
