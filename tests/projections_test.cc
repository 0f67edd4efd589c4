// The read models (projections/read_models.h), fed by journal records alone: positions equal the
// engine's after every record, a rebuild is identical, the seed's journey reads back as the portal
// shows it, the feed resumes exactly, the catalogue's free places follow the places taken, and a
// policy change re-ranks the mirrored queues as the engine does.
#include <malloc.h>

#include <flatbuffers/idl.h>
#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

#include "projections/read_models.h"
#include "schema_text.h"
#include "engine/bytes.h"
#include "events/answer.h"
#include "answers_generated.h"
#include "engine/numbers.h"
#include "tests/engine_testing.h"
#include "projections/history_stats.h"
#include "tests/harness.h"

namespace kezek::test {
namespace {

using projections::ReadModels;

const std::string kParentDigest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const std::string kKindergartenDigest = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

// Feeds the world's journal records the models have not seen yet.
void CatchUp(const World& world, ReadModels& models) {
  for (uint64_t s = models.next_sequence(); s < world.journal.size(); ++s) models.Apply(world.journal[s]);
}

template <typename T>
const T* View(const std::vector<uint8_t>& bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  REQUIRE(verifier.VerifyBuffer<T>(nullptr));
  return flatbuffers::GetRoot<T>(bytes.data());
}

std::optional<uint64_t> ProjectedPosition(const ReadModels& models, uint64_t id) {
  const auto bytes = models.Position(id);
  if (!bytes) return std::nullopt;
  const auto position = View<fb::PositionView>(*bytes)->position();
  return position.has_value() ? std::optional<uint64_t>(*position) : std::nullopt;
}

void CheckPositions(const Engine& engine, const ReadModels& models, uint64_t first, uint64_t step) {
  const uint64_t count = engine.state().applications.size();
  for (uint64_t slot = first; slot < count; slot += step) {
    const uint64_t id = engine.state().applications[slot].id.value;
    CAPTURE(id);
    REQUIRE(ProjectedPosition(models, id) == engine.PositionOf(ApplicationId{id}));
  }
}

// Folds a generated history, feeding every record to `models` and calling `after` after each.
template <typename After>
std::vector<std::vector<uint8_t>> FoldInto(const workload::SimulationOptions& options, ReadModels& models, Engine& engine,
                                           After&& after) {
  std::vector<std::vector<uint8_t>> journal;
  uint64_t offset = 0;
  for (const auto& action : SimulatedLog(options)) {
    const ApplyResult result = engine.Apply(action, offset++);
    for (const auto record : result.records) {
      journal.emplace_back(record.begin(), record.end());
      models.Apply(record);
    }
    after(journal.size());
  }
  return journal;
}

std::vector<std::string> InboxRu(const ReadModels& models, const std::string& iin) {
  std::vector<std::string> texts;
  const auto bytes = models.Inbox(iin, 0, projections::kPageLimitMax);
  for (const auto* item : *View<fb::Inbox>(bytes)->notifications()) texts.push_back(item->text_ru()->str());
  return texts;
}

// The general-queue filing of the world's first child (born 10.05.2021, serial 1), as a portal sends it.
fb::FileApplicationT FirstChildFiling() {
  fb::FileApplicationT file;
  file.child_iin = MakeIin(2021, 5, 10, true, 1);
  file.child_name = "Тест Тест 1";
  file.locality = World::kLocality;
  file.queue_type = fb::QueueType::General;
  file.language = fb::Language::Kk;
  file.priority_category = "general";
  return file;
}

fb::ActionT AsKindergarten(fb::ActionT action) {
  action.actor->kindergarten = World::kKindergarten;
  return action;
}

// The contract of an application that chose the world's ДО, then both signatures: sent on
// Tue 11.02.2025, signed by the parent on the 12th and countersigned on the 13th (the child enrolled).
void ContractAndSignatures(World& world, uint64_t app) {
  Ok(world.Do(AsKindergarten(World::Action(fb::Role::Kindergarten, fb::SendContractT{{}, app, "Д-1"})), Kz(2025, 2, 11, 10, 0)));
  Ok(world.Do(World::Action(fb::Role::Portal, fb::ParentSignsT{{}, app, kParentDigest}, World::kParent), Kz(2025, 2, 12, 10, 0)));
  Ok(world.Do(AsKindergarten(World::Action(fb::Role::Kindergarten, fb::KindergartenSignsT{{}, app, kKindergartenDigest})),
              Kz(2025, 2, 13, 10, 0)));
}

template <typename Set>
projections::CatalogueFilter Filter(Set&& set) {
  projections::CatalogueFilter filter;
  set(filter);
  return filter;
}

uint32_t FreePlaces(const ReadModels& models, uint32_t group) {
  const auto bytes = models.Catalogue({});
  for (const auto* kindergarten : *View<fb::Catalogue>(bytes)->kindergartens()) {
    for (const auto* g : *kindergarten->groups()) {
      if (g->group() == group) return g->free_places();
    }
  }
  FAIL("group ", group, " is not in the catalogue");
  return 0;
}

bool LoadEmbedded(const char* name, bool /*binary*/, std::string* out) {
  for (const auto& file : schema_text::kFiles) {
    if (std::string_view(name).ends_with(file.name)) {
      out->assign(file.text);
      return true;
    }
  }
  return false;
}

// A view as the HTTP server prints it: FlatBuffers' printer, defaults shown, Cyrillic as UTF-8.
std::string Json(const std::vector<uint8_t>& bytes, const char* root) {
  flatbuffers::IDLOptions options;
  options.strict_json = true;
  options.indent_step = -1;
  options.output_default_scalars_in_json = true;
  options.natural_utf8 = true;
  flatbuffers::Parser parser(options);
  flatbuffers::SetLoadFileFunction(LoadEmbedded);
  std::string text;
  REQUIRE(LoadEmbedded("views.fbs", false, &text));
  const char* include_paths[] = {"", nullptr};
  REQUIRE_MESSAGE(parser.Parse(text.c_str(), include_paths, "views.fbs"), parser.error_);
  REQUIRE(parser.SetRootType(root));
  std::string json;
  REQUIRE(flatbuffers::GenerateText(parser, bytes.data(), &json));
  return json;
}

std::string StepTexts(const fb::ApplicationCard& card) {
  std::string out;
  for (const auto* step : *card.steps()) {
    out += fmt::format("{}:{}:{}|", step->name_ru()->str(), fb::EnumNameStepState(step->state()), step->text_ru()->str());
  }
  return out;
}

// The engine's position of a sample of applications after every record, kept as its changes,
// and each one's own events from the journal; Check compares them with the projected histories.
class PositionAudit {
 public:
  explicit PositionAudit(uint64_t step) : step_(step) {}
  // Every step-th application of each locality.
  bool Sampled(uint64_t id) const { return SerialOfNumber(id) % step_ == 0; }

  // After the engine wrote `record` (the last one).
  void After(const Engine& engine, std::span<const uint8_t> bytes) {
    const fb::JournalRecord& record = *fb::GetJournalRecord(bytes.data());
    const uint64_t sequence = record.sequence();
    times_.push_back(record.engine_time_ms());
    ++records_;
    std::map<uint64_t, bool> popped;  // sampled applications given a voucher by this record
    if (const auto* decisions = record.decisions()) {
      for (const auto* d : *decisions) {
        const auto own = [&](uint64_t id, fb::PositionEvent event, uint64_t position) {
          if (Sampled(id)) tracks_[id].own.push_back(Own{sequence, event, position});
        };
        if (const auto* e = d->body_as_EnteredQueue()) {
          own(e->application(), fb::PositionEvent::EnteredQueue, e->position());
        } else if (const auto* r = d->body_as_ReturnedToQueue()) {
          own(r->application(), fb::PositionEvent::ReturnedToQueue, r->position());
        } else if (const auto* v = d->body_as_VoucherIssued()) {
          own(v->application(), fb::PositionEvent::VoucherIssued, 1);
          popped[v->application()] = true;
        } else if (const auto* a = d->body_as_Archived()) {
          const auto it = tracks_.find(a->application());
          if (it != tracks_.end() && it->second.now != 0 && !popped.contains(a->application())) {
            own(a->application(), fb::PositionEvent::LeftQueue, 0);  // wherever it stood: not checked
          }
        }
      }
    }
    for (uint64_t slot = 1; slot < engine.state().applications.size(); ++slot) {
      const uint64_t id = engine.state().applications[slot].id.value;
      if (!Sampled(id)) continue;
      Track& track = tracks_[id];
      const uint64_t now = engine.PositionOf(ApplicationId{id}).value_or(0);
      if (now != track.now) track.changes.emplace_back(sequence, now);
      track.now = now;
    }
  }

  // Every sampled application's projected history equals the engine's positions, compressed to
  // one per record that changed it, and its own events are the journal's. A view that holds only
  // the newest changes is compared from its first record on (whose place is known: a record's
  // last change is in the view).
  void Check(const ReadModels& models) {
    checked_ = checked_changes_ = moved_ = 0;
    for (const auto& [id, track] : tracks_) {
      CAPTURE(id);
      const auto bytes = models.Position(id);
      REQUIRE(bytes.has_value());
      const auto& view = *View<fb::PositionView>(*bytes);
      const auto& items = *view.history();
      const bool cut = view.history_total() > items.size();
      CHECK(items.size() == std::min<uint64_t>(view.history_total(), projections::kPositionHistoryLimit));
      std::vector<std::pair<uint64_t, uint64_t>> projected;  // place after each record listed
      std::vector<Own> own;
      for (uint32_t i = 0; i < items.size(); ++i) {
        const auto* item = items.Get(i);
        REQUIRE(item->sequence() < times_.size());
        CHECK(item->at_ms() == times_[item->sequence()]);
        const bool left = item->event() == fb::PositionEvent::VoucherIssued || item->event() == fb::PositionEvent::LeftQueue;
        const uint64_t after = left ? 0 : item->position();
        if (!projected.empty() && projected.back().first == item->sequence()) {
          projected.back().second = after;
        } else {
          REQUIRE((projected.empty() || projected.back().first < item->sequence()));
          projected.emplace_back(item->sequence(), after);
        }
        if (item->event() == fb::PositionEvent::MovedByOthers) {
          ++moved_;
          REQUIRE((i > 0 || cut));  // a view cut to the newest changes may begin with one
          if (i > 0) CHECK(item->position() != items.Get(i - 1)->position());  // listed only when it changed
          CHECK((i + 1 == items.size() || items.Get(i + 1)->sequence() != item->sequence()));  // one per record, its last
        } else if (item->event() != fb::PositionEvent::PolicyReranked) {
          own.push_back(Own{item->sequence(), item->event(), item->event() == fb::PositionEvent::LeftQueue ? 0 : item->position()});
        }
      }
      // The engine's changes from the view's first record on.
      std::vector<std::pair<uint64_t, uint64_t>> expected;
      std::vector<Own> expected_own;
      const uint64_t first = cut ? projected.front().first : 0;
      uint64_t before = 0;  // the engine's place after record `first` (0: not waiting)
      for (const auto& change : track.changes) {
        if (change.first <= first) before = change.second;
        if (!cut || change.first > first) expected.push_back(change);
      }
      for (const Own& o : track.own) {
        if (!cut || o.sequence > first) expected_own.push_back(o);
      }
      if (cut) {
        CHECK(projected.front().second == before);
        projected.erase(projected.begin());
        std::erase_if(own, [&](const Own& o) { return o.sequence <= first; });
      }
      // A record that left its place as it was is not a change (a re-ranking that kept it).
      std::vector<std::pair<uint64_t, uint64_t>> compressed;
      uint64_t last = cut ? before : 0;
      for (const auto& p : projected) {
        if (p.second != last) compressed.push_back(p);
        last = p.second;
      }
      CHECK(compressed == expected);
      CHECK(own == expected_own);
      CHECK(view.history_total() >= track.changes.size());
      CheckExplanation(models, id, view);
      checked_changes_ += track.changes.size();
      ++checked_;
    }
  }

  // The explanation lists the same changes as the position's history (its newest ones), each
  // change split into causes whose deltas add up to it, and each event of an auditor's view too.
  void CheckExplanation(const ReadModels& models, uint64_t id, const fb::PositionView& position) {
    const auto audit_bytes = models.Explain(id, /*audit=*/true);
    const auto family_bytes = models.Explain(id, /*audit=*/false);
    REQUIRE((audit_bytes && family_bytes));
    const auto& audit = *View<fb::Explanation>(*audit_bytes);
    const auto& family = *View<fb::Explanation>(*family_bytes);
    REQUIRE(audit.changes()->size() == position.history_total());
    CHECK(audit.changes_total() == position.history_total());
    REQUIRE(family.changes()->size() == audit.changes()->size());
    CHECK(audit.audit());
    CHECK(!family.audit());
    const auto& items = *position.history();
    const uint32_t skip = audit.changes()->size() - items.size();
    for (uint32_t i = 0; i < audit.changes()->size(); ++i) {
      const fb::ExplainedChange& c = *audit.changes()->Get(i);
      const fb::ExplainedChange& f = *family.changes()->Get(i);
      if (i >= skip) {
        const auto* item = items.Get(i - skip);
        CHECK(c.sequence() == item->sequence());
        CHECK(c.position() == item->position());
        CHECK(c.event() == item->event());
      }
      const bool entering = c.event() == fb::PositionEvent::EnteredQueue || c.event() == fb::PositionEvent::ReturnedToQueue;
      CHECK(c.previous_position().has_value() == (!entering && i > 0));
      int64_t sum = 0, events_sum = 0;
      for (const auto* cause : *c.causes()) {
        sum += cause->delta();
        causes_[cause->cause()] += cause->events();
      }
      CHECK(c.events()->size() == std::min<uint32_t>(c.events_total(), projections::kExplainEventsMax));
      for (const auto* event : *c.events()) {
        events_sum += event->delta();
        CHECK((event->application() != 0) == (event->cause() != fb::PositionCause::PolicyChange));
        CHECK(event->sequence() <= c.sequence());
      }
      if (c.previous_position()) {
        CHECK(c.delta() == static_cast<int64_t>(c.position()) - static_cast<int64_t>(*c.previous_position()));
        CHECK(sum == c.delta());
        if (c.events_total() <= projections::kExplainEventsMax) CHECK(events_sum == c.delta());
      }
      CHECK(f.events() == nullptr);
      CHECK(f.text_ru()->str() == c.text_ru()->str());
      if (entering || c.delta() != 0) {  // a leaving or re-ranking that did not move it says only what happened
        CHECK(f.text_kk()->str().find(fmt::format("{}", c.position())) != std::string::npos);
      }
      ++explained_;
    }
  }

  uint64_t applications() const { return checked_; }
  uint64_t explained() const { return explained_; }
  uint64_t causes(fb::PositionCause cause) const { return causes_.contains(cause) ? causes_.at(cause) : 0; }
  uint64_t changes() const { return checked_changes_; }
  uint64_t moved() const { return moved_; }
  uint64_t records() const { return records_; }

 private:
  struct Own {
    uint64_t sequence = 0;
    fb::PositionEvent event = fb::PositionEvent::EnteredQueue;
    uint64_t position = 0;
    bool operator==(const Own&) const = default;
  };
  struct Track {
    uint64_t now = 0;  // the engine's place now; 0: not waiting
    std::vector<std::pair<uint64_t, uint64_t>> changes;  // (sequence, place after it; 0: not waiting)
    std::vector<Own> own;
  };
  uint64_t step_;
  std::map<uint64_t, Track> tracks_;
  std::vector<int64_t> times_;  // engine time by sequence
  uint64_t records_ = 0, checked_ = 0, checked_changes_ = 0, moved_ = 0, explained_ = 0;
  std::map<fb::PositionCause, uint64_t> causes_;  // events by cause, over every explanation checked
};

}  // namespace

TEST_CASE("projections: after every record of a small history every application's position is the engine's") {
  workload::SimulationOptions options;
  options.seed = 11;
  options.applications = 300;
  options.months = 14;
  ReadModels models;
  Engine engine;
  uint64_t records = 0;
  FoldInto(options, models, engine, [&](uint64_t n) {
    records = n;
    CheckPositions(engine, models, 1, 1);
  });
  CHECK(records > 1000);
  uint64_t waiting = 0;
  for (const Queue& q : engine.state().queues) waiting += q.size();
  CHECK(models.waiting() == waiting);
}

TEST_CASE("projections: on a 2,000-application history with a mid-way ratio, sampled positions match after every record") {
  workload::SimulationOptions options;
  options.seed = 2025;
  options.applications = 2'000;
  options.months = 24;
  ReadModels models;
  Engine engine;
  FoldInto(options, models, engine, [&](uint64_t n) {
    CheckPositions(engine, models, 1 + n % 97, 97);          // a rotating sample after every record
    if (n % 1'000 == 0) CheckPositions(engine, models, 1, 1);  // all of them now and then
  });
  CheckPositions(engine, models, 1, 1);
}

TEST_CASE("projections: every change of a sampled application's place is in its history, as the engine placed it") {
  workload::SimulationOptions options;
  uint64_t step = 1;
  SUBCASE("a city, 600 applications over 14 months, every third") {
    options.seed = 11;
    options.applications = 600;
    options.months = 14;
    step = 3;
  }
  SUBCASE("the country, Astana's ratio arriving mid-way, every fifth of 4,000") {
    options.seed = 2025;
    options.country = true;
    options.applications = 4'000;
    options.months = 20;
    step = 5;
  }
  CAPTURE(options.seed);
  ReadModels models;
  Engine engine;
  PositionAudit audit(step);
  uint64_t offset = 0;
  const auto log = SimulatedLog(options);
  for (const auto& action : log) {
    const ApplyResult result = engine.Apply(action, offset++);
    for (const auto record : result.records) {
      models.Apply(record);
      audit.After(engine, record);
    }
    if (offset == log.size() / 2) audit.Check(models);  // mid-way too: those waiting end at the live place
  }
  audit.Check(models);
  MESSAGE(fmt::format("{} records; {} applications checked, {} changes of their places by the engine, {} of them "
                      "moves by others",
                      audit.records(), audit.applications(), audit.changes(), audit.moved()));
  CHECK(audit.applications() > 100);
  CHECK(audit.moved() > 1'000);
  MESSAGE(fmt::format("explained {} changes: {} priority entries, {} general, {} returns, {} vouchers, {} withdrawals, {} "
                      "school age, {} other leavings, {} policy changes", audit.explained(),
                      audit.causes(fb::PositionCause::EnteredPriority), audit.causes(fb::PositionCause::EnteredGeneral),
                      audit.causes(fb::PositionCause::ReturnedFromStopList), audit.causes(fb::PositionCause::VoucherIssued),
                      audit.causes(fb::PositionCause::Withdrawn), audit.causes(fb::PositionCause::SchoolAge),
                      audit.causes(fb::PositionCause::LeftOther), audit.causes(fb::PositionCause::PolicyChange)));
  CHECK(audit.causes(fb::PositionCause::EnteredPriority) > 0);
  CHECK(audit.causes(fb::PositionCause::VoucherIssued) > 0);
  CHECK(audit.causes(fb::PositionCause::ReturnedFromStopList) > 0);
  CHECK(audit.causes(fb::PositionCause::Withdrawn) > 0);
}

TEST_CASE("projections: a rebuild from the same journal is identical; another journal differs") {
  workload::SimulationOptions options;
  options.seed = 7;
  options.applications = 400;
  options.months = 14;
  ReadModels live;
  Engine engine;
  const auto journal = FoldInto(options, live, engine, [](uint64_t) {});
  ReadModels rebuilt;
  for (const auto& record : journal) rebuilt.Apply(record);
  CHECK(rebuilt.Hash() == live.Hash());
  CHECK(rebuilt.next_sequence() == journal.size());
  for (const ApplicationId number : engine.state().ApplicationNumbers()) {
    const uint64_t id = number.value;
    CAPTURE(id);
    REQUIRE(rebuilt.Card(id) == live.Card(id));
    REQUIRE(rebuilt.Position(id) == live.Position(id));
  }
  CHECK(rebuilt.Feed(0, projections::kPageLimitMax) == live.Feed(0, projections::kPageLimitMax));
  CHECK(rebuilt.Statistics() == live.Statistics());
  CHECK(rebuilt.Catalogue({}) == live.Catalogue({}));
  CHECK(rebuilt.Inbox(World::kParent, 0, 10) == live.Inbox(World::kParent, 0, 10));

  SUBCASE("one record fewer") {
    ReadModels shorter;
    for (size_t i = 0; i + 1 < journal.size(); ++i) shorter.Apply(journal[i]);
    CHECK(shorter.Hash() != live.Hash());
  }
  SUBCASE("another seed") {
    options.seed = 8;
    ReadModels other;
    Engine other_engine;
    FoldInto(options, other, other_engine, [](uint64_t) {});
    CHECK(other.Hash() != live.Hash());
  }
}

TEST_CASE("projections: the stored entries drained batch by batch equal a rebuild's, and a loaded store goes on as the live models") {
  workload::SimulationOptions options;
  options.seed = 11;
  options.applications = 600;
  options.months = 14;
  using Store = std::map<std::string, std::string>;
  const auto into = [](Store& store) {
    return [&store](std::string_view key, std::string_view value) { store[std::string(key)] = std::string(value); };
  };
  ReadModels live;
  Engine engine;
  Store drained, halfway_store;
  uint64_t halfway = 0;
  Sha256 halfway_hash{};
  const auto journal = FoldInto(options, live, engine, [&](uint64_t n) {
    if (n % 37 == 0) live.DrainChanges(into(drained));  // batches of the partition loop
    if (n == 2'000) {
      halfway = n;
      live.DrainChanges(into(drained));
      halfway_store = drained;
      halfway_hash = live.Hash();
    }
  });
  live.DrainChanges(into(drained));
  REQUIRE(halfway > 0);
  Store all;
  live.AllEntries(into(all));
  CHECK(drained == all);
  CHECK(drained.size() > 1'000);

  ReadModels rebuilt;
  for (const auto& record : journal) rebuilt.Apply(record);
  Store rebuilt_store;
  rebuilt.DrainChanges(into(rebuilt_store));
  CHECK(rebuilt_store == drained);  // byte for byte, however the batches fell

  // A store written half-way loads into models equal to the live ones then, which go on equal.
  ReadModels loaded;
  for (const auto& [key, value] : halfway_store) REQUIRE_MESSAGE(loaded.LoadEntry(key, value), key.substr(0, 1));
  REQUIRE(loaded.FinishLoad());
  CHECK(loaded.next_sequence() == halfway);
  CHECK(loaded.Hash() == halfway_hash);
  for (uint64_t s = loaded.next_sequence(); s < journal.size(); ++s) loaded.Apply(journal[s]);
  CHECK(loaded.Hash() == live.Hash());
  CheckPositions(engine, loaded, 1, 1);
  for (const ApplicationId number : engine.state().ApplicationNumbers()) {
    const uint64_t id = number.value;
    CAPTURE(id);
    REQUIRE(loaded.Position(id) == live.Position(id));  // every change of its place, stored or not
  }
  loaded.DrainChanges(into(halfway_store));
  CHECK(halfway_store == drained);

  SUBCASE("damaged entries are refused, not believed") {
    const auto refuses = [&](const std::string& key, std::string value) {
      ReadModels fresh;
      bool ok = true;
      for (const auto& [k, v] : all) ok = ok && fresh.LoadEntry(k, k == key ? value : v);
      return !(ok && fresh.FinishLoad());
    };
    const std::string app = std::string("A") + bytes::Be(World::Number(1), 8);
    REQUIRE(all.contains(app));
    std::string bad_status = all.at(app);
    bad_status[80] = static_cast<char>(200);  // the status byte (after 72 of ids and times, 8 of small fields), out of range
    CHECK(refuses(app, bad_status));
    CHECK(refuses(app, all.at(app).substr(0, 20)));  // cut short
    std::string other_format = all.at("M");
    other_format[0] = 99;
    CHECK(refuses("M", other_format));
    ReadModels fresh;
    CHECK_FALSE(fresh.LoadEntry("Z1234", "x"));  // an unknown kind
    ReadModels orphan_note;  // a notification of an application the store does not hold
    for (const auto& [k, v] : all) {
      if (k[0] != 'A') REQUIRE(orphan_note.LoadEntry(k, v));
    }
    std::string why;
    CHECK_FALSE(orphan_note.FinishLoad(&why));
    CHECK_MESSAGE(why.starts_with("notification 0 is to application "), why);
    CHECK_MESSAGE(why.ends_with(", which is not stored"), why);
  }
}

TEST_CASE("projections: the seed's journey reads back on the card and in the inbox as the portal shows it") {
  World world;
  ReadModels models;
  fb::FileApplicationT file = FirstChildFiling();
  const int64_t filed_at = Kz(2025, 2, 6, 16, 16) + 55'153;  // «#257062 от 06.02.2025 16:16:55.153600»
  const uint64_t app =
      Ok(world.Do(World::Action(fb::Role::Portal, std::move(file), World::kParent), filed_at)).First<fb::ApplicationAccepted>()->application();
  CatchUp(world, models);
  {
    const auto bytes = *models.Card(app);
    const auto& card = *View<fb::ApplicationCard>(bytes);
    CHECK(card.filed_at_local()->str() == "06.02.2025 16:16:55");
    CHECK(card.filed_at_ms() == filed_at);
    CHECK(card.queue_type_ru()->str() == "Общеобразовательная очередь");
    CHECK(card.locality_ru()->str() == "г. Алматы");
    CHECK(card.language_ru()->str() == "Казахский");
    CHECK(card.financing_ru()->str() == "Виртуальный ваучер");
    CHECK(card.applicant_iin()->str() == World::kParent);
    CHECK(card.child_name()->str() == "Тест Тест 1");
    CHECK(card.status() == fb::ApplicationStatus::InQueue);
    CHECK(card.current_step() == fb::StatusStep::Queue);
    REQUIRE(card.position().has_value());
    CHECK(*card.position() == 1);
    CHECK(!card.archive_reason().has_value());
  }

  Ok(world.Allocate(Kz(2025, 2, 6, 16, 46), 2021, 1));
  CatchUp(world, models);
  {
    const auto bytes = *models.Card(app);
    const auto& card = *View<fb::ApplicationCard>(bytes);
    CHECK(card.status() == fb::ApplicationStatus::VoucherIssued);
    CHECK(card.current_step() == fb::StatusStep::Voucher);
    CHECK(card.deadline() == fb::DeadlineKind::Interest);
    CHECK(card.deadline_date()->str() == "10.02.2025");
    CHECK(card.deadline_ms() == EndOfDayKz(2025, 2, 10));
    CHECK(card.voucher() == World::Number(1));
    CHECK(!card.position().has_value());
    // The card's words, as the seed's card (shared/seed, «Мои заявки»).
    CHECK(card.notice_ru()->str() == "Ребенку " + card.child_name()->str() +
                                         " выдан ваучер. Вам необходимо подтвердить свою заинтересованность в получении "
                                         "ваучера. Срок на подтверждение до 10.02.2025");
    CHECK(card.notice_kk()->str().find("10.02.2025 дейін") != std::string::npos);
    const auto inbox_bytes = models.Inbox(World::kParent, 0, 10);
    const auto& inbox = *View<fb::Inbox>(inbox_bytes);
    REQUIRE(inbox.notifications()->size() == 2);
    CHECK(inbox.notifications()->Get(0)->at_local()->str() == "06.02.2025 16:16");
    CHECK(inbox.notifications()->Get(1)->at_local()->str() == "06.02.2025 16:46");
    CHECK(inbox.notifications()->Get(1)->kind() == fb::NotificationKind::VoucherIssued);
  }

  Ok(world.Answer(Kz(2025, 2, 7, 10, 0), app, true));
  CatchUp(world, models);
  {
    const auto bytes = *models.Card(app);
    const auto& card = *View<fb::ApplicationCard>(bytes);
    CHECK(card.status() == fb::ApplicationStatus::VoucherInUse);
    CHECK(card.status_ru()->str() == "Ваучер используется");
    CHECK(card.notice_ru()->str().empty());  // nothing asked of the family on the card
    CHECK(card.current_step() == fb::StatusStep::KindergartenChoice);
    CHECK(card.deadline() == fb::DeadlineKind::Enrollment);
    CHECK(card.deadline_date()->str() == "14.02.2025");
  }

  Ok(world.Do(World::Action(fb::Role::Portal, fb::ChooseKindergartenT{{}, app, World::kGroupKk}, World::kParent),
              Kz(2025, 2, 10, 10, 0)));
  CatchUp(world, models);
  {
    const auto bytes = *models.Card(app);
    const auto& card = *View<fb::ApplicationCard>(bytes);
    CHECK(card.status() == fb::ApplicationStatus::AwaitingContract);
    CHECK(card.status_ru()->str() == "Ожидайте договор от ДО");
    CHECK(card.current_step() == fb::StatusStep::Enrollment);
    CHECK(card.kindergarten() == World::kKindergarten);
    CHECK(card.kindergarten_ru()->str() == "Ботакоз");
    CHECK(card.group() == World::kGroupKk);
    CHECK(StepTexts(card) ==
          "Очередь:Done:В архиве|Ваучер:Done:Ваучер используется|Выбор сада:Done:Выбран Ботакоз|"
          "Тип финансирования:Done:Ваучер присвоен|Зачисление:Current:Ожидайте договор от ДО|");
    CHECK(models.KindergartenOf(app) == World::kKindergarten);
    CHECK(models.ApplicantOf(app) == World::kParent);
  }

  Ok(world.Do(AsKindergarten(World::Action(fb::Role::Kindergarten, fb::SendContractT{{}, app, "Д-2025/17"})),
              Kz(2025, 2, 11, 10, 0)));
  Ok(world.Do(World::Action(fb::Role::Portal, fb::ParentSignsT{{}, app, kParentDigest}, World::kParent),
              Kz(2025, 2, 12, 10, 0)));
  CatchUp(world, models);
  {
    const auto bytes = *models.Card(app);
    const auto& card = *View<fb::ApplicationCard>(bytes);
    CHECK(card.status() == fb::ApplicationStatus::ParentSigned);
    CHECK(card.deadline() == fb::DeadlineKind::KindergartenSignature);
    CHECK(card.deadline_date()->str() == "19.02.2025");
  }
  Ok(world.Do(AsKindergarten(World::Action(fb::Role::Kindergarten, fb::KindergartenSignsT{{}, app, kKindergartenDigest})),
              Kz(2025, 2, 13, 10, 0)));
  CatchUp(world, models);
  {
    const auto bytes = *models.Card(app);
    const auto& card = *View<fb::ApplicationCard>(bytes);
    CHECK(card.status() == fb::ApplicationStatus::Archived);
    CHECK(card.status_ru()->str() == "В архиве");
    REQUIRE(card.archive_reason().has_value());
    CHECK(*card.archive_reason() == fb::ArchiveReason::Enrolled);
    CHECK(card.deadline() == fb::DeadlineKind::None);
    CHECK(card.deadline_date()->str().empty());
    for (const auto* step : *card.steps()) CHECK(step->state() == fb::StepState::Done);
  }
  CHECK(InboxRu(models, World::kParent) ==
        std::vector<std::string>{
            "Ваша заявка принята. Место в очереди 1",
            "Ребенку Тест Тест 1 выдан ваучер. Подтвердите заинтересованность до 10.02.2025",
            "Заинтересованность подтверждена. Выберите детский сад и заключите договор до 14.02.2025",
            "Ожидайте договор от ДО",
            "Подпишите договор в течение 5 рабочих дней (до 18.02.2025)",
            "Ребенок зачислен в ДО «Ботакоз»",
            "Заявление перемещено в архив: ребенок зачислен",
        });
  const auto list_bytes = models.Applications(World::kParent);
  const auto& list = *View<fb::ApplicationList>(list_bytes);
  REQUIRE(list.applications()->size() == 1);
  CHECK(list.applications()->Get(0)->application() == app);
  const auto position_bytes = *models.Position(app);
  const auto& history = *View<fb::PositionView>(position_bytes)->history();
  REQUIRE(history.size() == 2);
  CHECK(history.Get(0)->event() == fb::PositionEvent::EnteredQueue);
  CHECK(history.Get(0)->position() == 1);
  CHECK(history.Get(1)->event() == fb::PositionEvent::VoucherIssued);
  CHECK(history.Get(1)->at_ms() == Kz(2025, 2, 6, 16, 46));
  CHECK(!models.Card(app + 1).has_value());
  const std::string card_json = Json(*models.Card(app), "kezek.fb.ApplicationCard");
  CHECK(card_json.find("\"status\": \"Archived\"") != std::string::npos);
  CHECK(card_json.find("\"archive_reason\": \"Enrolled\"") != std::string::npos);
  CHECK(card_json.find("\"filed_at_local\": \"06.02.2025 16:16:55\"") != std::string::npos);
  CHECK(card_json.find("\"position\": null") != std::string::npos);  // not waiting
  CHECK(card_json.find("Выбран Ботакоз") != std::string::npos);
  CHECK(Json(models.Inbox(World::kParent, 0, 1), "kezek.fb.Inbox").find("Ваша заявка принята. Место в очереди 1") !=
        std::string::npos);
  CHECK(View<fb::Inbox>(models.Inbox("not an iin", 0, 10))->total() == 0);
}

TEST_CASE("projections: a corrected translation posted as templates words the notifications after it, not those before") {
  World world;
  ReadModels models;
  const auto file = [&](int serial, int64_t at) {
    fb::FileApplicationT f;
    f.child_iin = MakeIin(2021, 5, 10 + serial, true, serial);
    f.child_name = fmt::format("Тест Тест {}", serial);
    f.locality = World::kLocality;
    f.queue_type = fb::QueueType::General;
    f.language = fb::Language::Kk;
    f.priority_category = "general";
    return Ok(world.Do(World::Action(fb::Role::Portal, std::move(f), World::kParent), at));
  };
  const auto inbox_kk = [&](const ReadModels& m) {
    const auto bytes = m.Inbox(World::kParent, 0, 10);
    std::vector<std::string> texts;
    for (const auto* n : *View<fb::Inbox>(bytes)->notifications()) texts.push_back(n->text_kk()->str());
    return texts;
  };
  file(1, Kz(2025, 2, 6, 10, 0));  // written out: no templates yet

  fb::SetMessageTemplatesT v1 = messages::BuiltInTemplates();
  Ok(world.Do(World::Action(fb::Role::EducationDepartment, std::move(v1)), Kz(2025, 2, 6, 11, 0)));
  const Outcome second = file(2, Kz(2025, 2, 6, 12, 0));
  const fb::Notification* n = second.First<fb::Notification>();
  REQUIRE(n != nullptr);
  CHECK(n->text_ru() == nullptr);  // the record keeps the arguments, not the words
  CHECK(n->templates() == 1);
  CHECK(n->number() == 2);
  CHECK(second.NotificationsRu() == std::vector<std::string>{"Ваша заявка принята. Место в очереди 2"});
  {  // The answer carries the words too, from the engine's book (what kezek append and serve answer).
    const std::vector<uint8_t> answer = events::AnswerOf(1, second.record, {}, &world.engine.state().template_book);
    std::vector<std::string> said;
    for (const fb::Decision* d : *flatbuffers::GetRoot<fb::Answer>(answer.data())->decisions()) {
      if (const auto* note = d->body_as_Notification()) said.push_back(note->text_ru()->str() + " / " + note->text_kk()->str());
    }
    CHECK(said == std::vector<std::string>{"Ваша заявка принята. Место в очереди 2 / Өтінішіңіз қабылданды. Кезектегі орныңыз: 2"});
    const std::vector<uint8_t> bare = events::AnswerOf(1, second.record, {});
    CHECK(flatbuffers::GetRoot<fb::Answer>(bare.data())->decisions()->Get(2)->body_as_Notification()->text_ru() == nullptr);
  }

  fb::SetMessageTemplatesT v2 = messages::BuiltInTemplates();
  v2.templates.front()->kk = "Өтініш қабылданды, кезектегі орын: {}";  // a corrected translation
  const Outcome posted = Ok(world.Do(World::Action(fb::Role::EducationDepartment, std::move(v2)), Kz(2025, 2, 6, 13, 0)));
  CHECK(posted.First<fb::MessageTemplatesSet>()->version() == 2);
  file(3, Kz(2025, 2, 6, 14, 0));
  CatchUp(world, models);
  CHECK(inbox_kk(models) == std::vector<std::string>{"Өтінішіңіз қабылданды. Кезектегі орныңыз: 1",
                                                      "Өтінішіңіз қабылданды. Кезектегі орныңыз: 2",
                                                      "Өтініш қабылданды, кезектегі орын: 3"});

  // Stored and loaded, the models word them alike; so does a rebuild from the journal alone.
  std::map<std::string, std::string> store;
  models.AllEntries([&](std::string_view k, std::string_view v) { store[std::string(k)] = std::string(v); });
  ReadModels loaded;
  for (const auto& [k, v] : store) REQUIRE_MESSAGE(loaded.LoadEntry(k, v), k.substr(0, 1));
  REQUIRE(loaded.FinishLoad());
  CHECK(inbox_kk(loaded) == inbox_kk(models));
  CHECK(loaded.Hash() == models.Hash());
  ReadModels rebuilt;
  for (const auto& record : world.journal) rebuilt.Apply(record);
  CHECK(rebuilt.Hash() == models.Hash());
  // A stored version that does not fit the catalogue's arguments is refused, not believed.
  const std::string key = std::string("X") + bytes::Be(0, 4);
  REQUIRE(store.contains(key));
  ReadModels damaged;
  bool ok = true;
  for (const auto& [k, v] : store) ok = ok && damaged.LoadEntry(k, k == key ? v.substr(0, v.size() - 3) : v);
  CHECK_FALSE(ok);
}

TEST_CASE("projections: the feed resumes from a cursor without repeating or missing a notification") {
  workload::SimulationOptions options;
  options.seed = 5;
  options.applications = 300;
  options.months = 14;
  ReadModels models;
  Engine engine;
  const auto journal = FoldInto(options, models, engine, [](uint64_t) {});
  std::vector<std::pair<uint64_t, uint32_t>> expected;  // (sequence, decision index) of every notification
  for (const auto& bytes : journal) {
    const auto* record = fb::GetJournalRecord(bytes.data());
    if (record->decisions() == nullptr) continue;
    for (uint32_t i = 0; i < record->decisions()->size(); ++i) {
      if (record->decisions()->Get(i)->body_type() == fb::DecisionBody::Notification) expected.emplace_back(record->sequence(), i);
    }
  }
  REQUIRE(expected.size() > 500);

  SUBCASE("pages of 7 from the start") {
    std::vector<std::pair<uint64_t, uint32_t>> seen;
    uint64_t cursor = 0;
    for (bool more = true; more;) {
      const auto bytes = models.Feed(cursor, 7);
      const auto& feed = *View<fb::NotificationFeed>(bytes);
      for (const auto* item : *feed.notifications()) {
        CHECK(item->cursor() > cursor);
        seen.emplace_back(item->sequence(), item->index());
      }
      cursor = feed.next_cursor();
      more = feed.has_more();
    }
    CHECK(seen == expected);
  }
  SUBCASE("a sender that crashed resumes on rebuilt models from its stored cursor") {
    const auto first = models.Feed(0, 500);
    const uint64_t stored = View<fb::NotificationFeed>(first)->next_cursor();
    ReadModels rebuilt;
    for (size_t i = 0; i < journal.size() / 2; ++i) rebuilt.Apply(journal[i]);  // behind the sender? catch up
    for (size_t i = journal.size() / 2; i < journal.size(); ++i) rebuilt.Apply(journal[i]);
    std::vector<std::pair<uint64_t, uint32_t>> seen;
    for (const auto* item : *View<fb::NotificationFeed>(first)->notifications()) seen.emplace_back(item->sequence(), item->index());
    uint64_t cursor = stored;
    for (bool more = true; more;) {
      const auto bytes = rebuilt.Feed(cursor, projections::kPageLimitMax);
      const auto& feed = *View<fb::NotificationFeed>(bytes);
      for (const auto* item : *feed.notifications()) seen.emplace_back(item->sequence(), item->index());
      cursor = feed.next_cursor();
      more = feed.has_more();
    }
    CHECK(seen == expected);
  }
  SUBCASE("texts in the feed are the journal's") {
    // The history posts the catalogue as templates first: the journal's words are those
    // templates with each notification's own arguments (messages::TemplateBook, apart from the models).
    messages::TemplateBook templates;
    for (const auto& bytes : journal) {
      const auto* record = fb::GetJournalRecord(bytes.data());
      if (record->decisions() == nullptr) continue;
      for (const fb::Decision* d : *record->decisions()) {
        if (d->body_type() == fb::DecisionBody::MessageTemplatesSet) {
          templates.Post(*record->action_nested_root()->body_as_SetMessageTemplates());
        }
      }
    }
    CHECK(templates.latest() == 1);
    const auto bytes = models.Feed(0, projections::kPageLimitMax);
    size_t worded = 0;
    for (const auto* item : *View<fb::NotificationFeed>(bytes)->notifications()) {
      const auto* record = fb::GetJournalRecord(journal[item->sequence()].data());
      const auto* n = record->decisions()->Get(item->index())->body_as_Notification();
      REQUIRE(n != nullptr);
      worded += n->templates() != 0;
      const messages::Text said = templates.TextOf(*n);
      CHECK(item->text_ru()->str() == said.ru);
      CHECK(item->text_kk()->str() == said.kk);
      CHECK(item->at_ms() == record->engine_time_ms());
    }
    CHECK(worded > 0);
  }
}

TEST_CASE("projections: the catalogue's free places follow choosing, releasing and enrolling") {
  World world;
  ReadModels models;
  std::vector<uint64_t> ids;
  for (unsigned i = 0; i < 3; ++i) ids.push_back(world.FileGeneral(Kz(2025, 2, 3, 10, 0) + i * kHourMs, 2021, 5, 10, 1 + 10 * i));
  Ok(world.Allocate(Kz(2025, 2, 6, 16, 46), 2021, 3));
  for (const uint64_t id : ids) Ok(world.Answer(Kz(2025, 2, 7, 10, 0), id, true));
  CatchUp(world, models);
  CHECK(FreePlaces(models, World::kGroupKk) == 2);

  const auto choose = [&](uint64_t id, int hour) {
    return world.Do(World::Action(fb::Role::Portal, fb::ChooseKindergartenT{{}, id, World::kGroupKk}, World::kParent),
                    Kz(2025, 2, 10, hour, 0));
  };
  Ok(choose(ids[0], 10));
  CatchUp(world, models);
  CHECK(FreePlaces(models, World::kGroupKk) == 1);
  Ok(choose(ids[1], 11));
  CatchUp(world, models);
  CHECK(FreePlaces(models, World::kGroupKk) == 0);
  CHECK(View<fb::Catalogue>(models.Catalogue(Filter([](auto& f) { f.free_only = true; })))->kindergartens()->Get(0)->groups()->size() == 2);

  Ok(world.Do(World::Action(fb::Role::Portal, fb::WithdrawT{{}, ids[0]}, World::kParent), Kz(2025, 2, 10, 13, 0)));
  CatchUp(world, models);
  CHECK(FreePlaces(models, World::kGroupKk) == 1);

  ContractAndSignatures(world, ids[1]);
  CatchUp(world, models);
  CHECK(FreePlaces(models, World::kGroupKk) == 1);  // the enrolled child keeps the place
  CHECK(FreePlaces(models, World::kGroupKk) ==
        world.engine.state().groups.at(GroupId{World::kGroupKk}).capacity -
            world.engine.state().groups.at(GroupId{World::kGroupKk}).taken);

  SUBCASE("filters") {
    const auto ru = models.Catalogue(Filter([](auto& f) { f.language = fb::Language::Ru; }));
    const auto& groups = *View<fb::Catalogue>(ru)->kindergartens()->Get(0)->groups();
    REQUIRE(groups.size() == 1);
    CHECK(groups.Get(0)->group() == World::kGroupRu);
    const auto speech = models.Catalogue(Filter([](auto& f) { f.correction_type = fb::CorrectionType::Speech; }));
    CHECK(View<fb::Catalogue>(speech)->kindergartens()->Get(0)->groups()->Get(0)->group() == World::kGroupSpeech);
    CHECK(View<fb::Catalogue>(models.Catalogue(Filter([](auto& f) { f.locality = 99; })))->kindergartens()->size() == 0);
    CHECK(View<fb::Catalogue>(models.Catalogue(Filter([](auto& f) { f.kindergarten = World::kKindergarten; })))->kindergartens()->size() == 1);
  }
  SUBCASE("popular kindergartens count requests and enrollments") {
    const auto bytes = models.Statistics();
    const auto& popular = *View<fb::QueueStatistics>(bytes)->popular_kindergartens();
    REQUIRE(popular.size() == 1);
    CHECK(popular.Get(0)->kindergarten() == World::kKindergarten);
    CHECK(popular.Get(0)->enrollment_requests() == 2);
    CHECK(popular.Get(0)->enrollments() == 1);
  }
}

TEST_CASE("projections: a child's other application, withdrawn at its enrollment, is not shown as enrolled nor counted so") {
  World world;
  ReadModels models;
  fb::FileApplicationT special = FirstChildFiling();  // the same child, in the special queue
  special.queue_type = fb::QueueType::Special;
  special.correction_type = fb::CorrectionType::Speech;
  special.conclusion_document = "ПМПК-1";
  special.kindergarten = World::kKindergarten;
  const uint64_t other = Ok(world.Do(World::Action(fb::Role::Portal, std::move(special), World::kParent), Kz(2025, 2, 3, 9, 0)))
                             .First<fb::ApplicationAccepted>()->application();
  const uint64_t app = world.FileGeneral(Kz(2025, 2, 3, 10, 0), 2021, 5, 10, 1);
  Ok(world.Allocate(Kz(2025, 2, 6, 16, 46), 2021, 1));
  Ok(world.Answer(Kz(2025, 2, 7, 10, 0), app, true));
  Ok(world.Do(World::Action(fb::Role::Portal, fb::ChooseKindergartenT{{}, app, World::kGroupKk}, World::kParent), Kz(2025, 2, 10, 10, 0)));
  ContractAndSignatures(world, app);
  CatchUp(world, models);
  const auto bytes = *models.Card(other);
  const auto& card = *View<fb::ApplicationCard>(bytes);
  CHECK(card.status() == fb::ApplicationStatus::Archived);
  REQUIRE(card.archive_reason().has_value());
  CHECK(*card.archive_reason() == fb::ArchiveReason::Withdrawn);
  // Withdrawn while waiting: the queue stopped, nothing after it done (an enrolled card shows every step Done).
  CHECK(StepTexts(card) == "Очередь:Stopped:В архиве|Ваучер:Pending:|Выбор сада:Pending:|Тип финансирования:Pending:|Зачисление:Pending:|");
  projections::HistoryStats stats;
  for (const auto& record : world.journal) stats.Apply(record);
  const std::string json = stats.Json(10);
  CHECK(json.find("\"enrolled\": 1") != std::string::npos);  // one child, one enrollment
  CHECK(json.find("\"enrolled\": 2") == std::string::npos);
}

TEST_CASE("projections: a UTC offset posted after a deadline was set moves the card's deadline instant, not its date") {
  World world;
  ReadModels models;
  const uint64_t app = world.FileGeneral(Kz(2025, 2, 3, 10, 0), 2021, 5, 10, 1);
  Ok(world.Allocate(Kz(2025, 2, 6, 16, 46), 2021, 1));
  fb::SetUtcOffsetT decree;
  decree.locality = World::kLocality;
  decree.effective_from_ms = Utc(2025, 2, 7, 18, 0);
  decree.offset_minutes = 360;
  Ok(world.Do(World::Action(fb::Role::EducationDepartment, decree), Kz(2025, 2, 7, 9, 0)));
  CatchUp(world, models);
  const auto bytes = *models.Card(app);
  const auto& card = *View<fb::ApplicationCard>(bytes);
  CHECK(card.deadline_date()->str() == "10.02.2025");
  CHECK(card.deadline_ms() == Utc(2025, 2, 10, 18, 0));
  CHECK(card.deadline_ms() == world.engine.state().app(ApplicationId{app}).deadline_at.value);
}

TEST_CASE("projections: a name holding quotes, a backslash, markup and a no-break space is shown whole in the catalogue and the statistics, as the journal keeps it") {
  World world;
  ReadModels models;
  // (A NUL, another control character, a bidi override or a zero-width space is refused by the
  // engine since 2026-12-06: InvalidField.)
  const std::string name_kk("\"nul\\\u00a0RTL</td>");
  Ok(world.Do(World::Action(fb::Role::EducationDepartment,
                            fb::UpsertKindergartenT{{}, World::kKindergarten, World::kLocality, "Ботакоз", name_kk}),
              Kz(2025, 2, 3, 9, 0)));
  const uint64_t id = world.FileGeneral(Kz(2025, 2, 3, 10, 0), 2021, 5, 10, 1);
  Ok(world.Allocate(Kz(2025, 2, 6, 16, 46), 2021, 1));
  Ok(world.Answer(Kz(2025, 2, 7, 10, 0), id, true));
  Ok(world.Do(World::Action(fb::Role::Portal, fb::ChooseKindergartenT{{}, id, World::kGroupKk}, World::kParent),
              Kz(2025, 2, 10, 10, 0)));
  CatchUp(world, models);
  const auto catalogue = models.Catalogue({});
  const auto* shown = View<fb::Catalogue>(catalogue)->kindergartens()->Get(0)->name_kk();
  CHECK(std::string(shown->data(), shown->size()) == name_kk);
  const auto statistics = models.Statistics();
  const auto* popular = View<fb::QueueStatistics>(statistics)->popular_kindergartens()->Get(0)->name_kk();
  CHECK(std::string(popular->data(), popular->size()) == name_kk);
}

TEST_CASE("projections: a policy change that re-ranks a queue keeps projected positions equal to the engine's") {
  World world;
  ReadModels models;
  std::vector<uint64_t> ids;
  const char* categories[] = {"general", "orphans", "general", "servicemen_children", "general", "large_families",
                              "general", "general"};
  for (unsigned i = 0; i < 8; ++i) {
    ids.push_back(world.FileGeneral(Kz(2025, 2, 3, 10, 0) + i * kHourMs, 2021, 5, 10, 1 + 10 * i, categories[i]));
  }
  CatchUp(world, models);
  CheckPositions(world.engine, models, 1, 1);

  const auto policy = [](uint16_t ratio_priority, uint16_t ratio_general, bool orphans_first) {
    fb::SetPriorityPolicyT p;
    p.locality = World::kLocality;
    auto tier = [](std::string code, std::vector<std::string> cats, bool general) {
      auto t = std::make_unique<fb::PriorityTierT>();
      t->code = std::move(code);
      t->categories = std::move(cats);
      t->general_line = general;
      return t;
    };
    if (orphans_first) p.tiers.push_back(tier("orphans", {"orphans"}, false));
    p.tiers.push_back(tier("extraordinary", {"servicemen_children"}, false));
    // large_families is dropped: it falls to the last general-line tier.
    p.tiers.push_back(tier("general", {"general"}, true));
    p.ratio_priority = ratio_priority;
    p.ratio_general = ratio_general;
    return p;
  };
  Ok(world.Do(World::Action(fb::Role::EducationDepartment, policy(1, 3, true)), Kz(2025, 2, 4, 10, 0)));
  CatchUp(world, models);
  CheckPositions(world.engine, models, 1, 1);
  const auto bytes = *models.Position(ids[5]);
  const auto& history = *View<fb::PositionView>(bytes)->history();
  REQUIRE(history.size() == 2);
  CHECK(history.Get(1)->event() == fb::PositionEvent::PolicyReranked);
  CHECK(history.Get(1)->position() == *world.engine.PositionOf(ApplicationId{ids[5]}));

  // Vouchers are handed out in the new order of issue, and the mirror pops the same heads.
  Ok(world.Allocate(Kz(2025, 2, 6, 16, 46), 2021, 3));
  CatchUp(world, models);
  CheckPositions(world.engine, models, 1, 1);
  Ok(world.Do(World::Action(fb::Role::EducationDepartment, policy(0, 0, false)), Kz(2025, 2, 7, 9, 0)));
  CatchUp(world, models);
  CheckPositions(world.engine, models, 1, 1);
  Ok(world.Allocate(Kz(2025, 2, 7, 16, 46), 2021, 2));
  CatchUp(world, models);
  CheckPositions(world.engine, models, 1, 1);

  // Every change of every application's place, the re-rankings' and the ratio cycle's too: the
  // journal's actions folded again, the engine's positions taken after every record.
  Engine again;
  PositionAudit audit(1);
  for (size_t at = 0; at < world.journal.size();) {
    const fb::JournalRecord& record = *fb::GetJournalRecord(world.journal[at].data());
    const ApplyResult result =
        again.Apply(std::span<const uint8_t>(record.action()->data(), record.action()->size()), record.input_offset());
    for (const auto part : result.records) {
      REQUIRE(at < world.journal.size());
      REQUIRE(std::vector<uint8_t>(part.begin(), part.end()) == world.journal[at++]);
      audit.After(again, part);
    }
  }
  audit.Check(models);
  CHECK(audit.applications() == ids.size());
  CHECK(audit.moved() > 0);
  CHECK(audit.causes(fb::PositionCause::PolicyChange) > 0);
  const auto explained = *models.Explain(ids[5], false);
  const auto& changes = *View<fb::Explanation>(explained)->changes();
  REQUIRE(changes.size() >= 2);
  CHECK(changes.Get(1)->event() == fb::PositionEvent::PolicyReranked);
  CHECK(changes.Get(1)->causes()->Get(changes.Get(1)->causes()->size() - 1)->cause() == fb::PositionCause::PolicyChange);
  CHECK(changes.Get(1)->text_ru()->str().find("изменение правил очерёдности") != std::string::npos);
}

// Run by hand for docs/architecture.md: kezek_tests -tc="projections: memory*" --no-skip
TEST_CASE("projections: memory per application on a generated country history" * doctest::skip()) {
  workload::SimulationOptions options;
  options.seed = 2025;
  options.country = true;
  options.applications = 400'000;
  options.months = 24;
  const auto log = SimulatedLog(options);
  // The heap's growth over a fold by the engine alone, then by the engine and the read models.
  const auto heap = [] {  // in use: from the arenas and mmap'd (large vectors)
    const struct mallinfo2 info = mallinfo2();
    return static_cast<int64_t>(info.uordblks + info.hblkhd);
  };
  const auto fold = [&](bool with_models, uint64_t* applications, uint64_t* memory_bytes, uint64_t* waiting) {
    const int64_t before = heap();
    auto engine = std::make_unique<Engine>();
    auto models = std::make_unique<ReadModels>();
    uint64_t offset = 0;
    for (const auto& action : log) {
      const ApplyResult result = engine->Apply(action, offset++);
      if (with_models) {
        for (const auto record : result.records) models->Apply(record);
      }
      // Drained as the server's partition loop does after each batch: what is marked is not held.
      if (with_models && offset % 1'000 == 0) models->DrainChanges([](std::string_view, std::string_view) {});
    }
    const int64_t after = heap();
    *applications = engine->state().applications.size() - 1;
    *memory_bytes = models->MemoryBytes();
    *waiting = models->waiting();
    return after - before;
  };
  uint64_t applications = 0, memory_bytes = 0, waiting = 0;
  const int64_t engine_only = fold(false, &applications, &memory_bytes, &waiting);
  const int64_t both = fold(true, &applications, &memory_bytes, &waiting);
  const int64_t models = both - engine_only;
  MESSAGE(fmt::format("{} actions, {} applications, {} waiting at the end; engine state {} bytes; read models {} "
                      "bytes allocated ({} per application), {} by their own count",
                      log.size(), applications, waiting, engine_only, models,
                      models / static_cast<int64_t>(applications), memory_bytes));
}

// DESIGN §5, "A record has a bound": the read models take an input's decisions from all its
// parts, and its action once, after the last.
// The statistics apart from the journal sequence they reflect (parts add records).
std::vector<uint8_t> StatisticsApartFromSequence(const ReadModels& models) {
  const std::vector<uint8_t> bytes = models.Statistics();
  fb::QueueStatisticsT statistics;
  View<fb::QueueStatistics>(bytes)->UnPackTo(&statistics);
  statistics.sequence = 0;
  flatbuffers::FlatBufferBuilder builder;
  builder.Finish(fb::QueueStatistics::Pack(builder, &statistics));
  return {builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize()};
}

TEST_CASE("projections: an allocation and an expiry split into parts project as one record would") {
  World bounded;
  const Crowd crowd = PlayCrowd(bounded, 5'000);
  REQUIRE(!crowd.allocation.parts.empty());
  REQUIRE(!crowd.expiry.parts.empty());
  World whole;
  EngineTesting::SetRecordBound(whole.engine, EngineTesting::Unbounded());
  const Crowd unsplit = PlayCrowd(whole, 5'000);
  REQUIRE(unsplit.allocation.parts.empty());

  // After the allocation, its last part (or its one record) applied.
  const auto through = [](const World& world, const Outcome& input, ReadModels& models) {
    const uint64_t last = fb::GetJournalRecord(InputRecords(input).back().data())->sequence();
    while (models.next_sequence() <= last) models.Apply(world.journal[models.next_sequence()]);
  };
  ReadModels split_models, whole_models;
  through(bounded, crowd.allocation, split_models);
  through(whole, unsplit.allocation, whole_models);
  CHECK(StatisticsApartFromSequence(split_models) == StatisticsApartFromSequence(whole_models));
  CHECK(split_models.waiting() == whole_models.waiting());
  for (uint64_t id = 1; id <= 5'000; ++id) {
    CAPTURE(id);
    REQUIRE(ProjectedPosition(split_models, id) == ProjectedPosition(whole_models, id));
  }
  // To the end: the engine's positions, and the same figures as the unsplit journal's.
  CatchUp(bounded, split_models);
  CatchUp(whole, whole_models);
  CheckPositions(bounded.engine, split_models, 1, 1);
  CHECK(StatisticsApartFromSequence(split_models) == StatisticsApartFromSequence(whole_models));
  CHECK(split_models.waiting() == whole_models.waiting());
  CHECK(InboxRu(split_models, World::kParent) == InboxRu(whole_models, World::kParent));
}

}  // namespace kezek::test
