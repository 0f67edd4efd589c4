#include "projections/history_stats.h"

#include <algorithm>

#include <fmt/format.h>

#include "actions_generated.h"
#include "decisions_generated.h"
#include "engine/bytes.h"
#include "engine/civil_time.h"
#include "engine/numbers.h"
#include "engine/types.h"
#include "projections/summary.h"

namespace kezek::projections {
namespace {

constexpr int64_t kKazakhstanOffsetMs = 5 * 3'600'000;

int32_t MonthOf(int64_t instant_ms) {
  const int64_t local = instant_ms + kKazakhstanOffsetMs;
  const int64_t day = local >= 0 ? local / kMsPerDay : (local - kMsPerDay + 1) / kMsPerDay;
  const civil::Ymd ymd = civil::ToYmd(LocalDate{static_cast<int32_t>(day)});
  return ymd.year * 100 + static_cast<int32_t>(ymd.month);
}

int32_t NextMonth(int32_t yyyymm) { return yyyymm % 100 == 12 ? (yyyymm / 100 + 1) * 100 + 1 : yyyymm + 1; }

std::string MonthText(int32_t yyyymm) { return fmt::format("{:04}-{:02}", yyyymm / 100, yyyymm % 100); }

// Nearest-rank percentile of `minutes` (sorted here), in days; -1 when there is none.
double PercentileDays(std::vector<uint32_t> minutes, uint32_t percent) {
  if (minutes.empty()) return -1;
  std::sort(minutes.begin(), minutes.end());
  const size_t rank = std::max<size_t>(1, (minutes.size() * percent + 99) / 100);
  return static_cast<double>(minutes[rank - 1]) / (24.0 * 60.0);
}

std::string Days(double days) { return days < 0 ? std::string() : fmt::format("{:.1f}", days); }
std::string DaysJson(double days) { return days < 0 ? std::string("null") : fmt::format("{:.1f}", days); }

const char* QueueName(uint8_t special) { return special != 0 ? "special" : "general"; }

// A name as printed for people (the text table, CSV): its control characters (a line break, ESC,
// NUL, as posted) written as \xNN, so that none breaks a row or moves a terminal's cursor. JSON
// keeps the name as it is, escaped by JSON's own rules.
std::string Shown(const std::string& name) {
  if (std::none_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    return name;
  }
  std::string out;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

void Add(HistoryStats::Flows& to, const HistoryStats::Flows& from) {
  to.filed += from.filed;
  to.queued += from.queued;
  to.waiting += from.waiting;
  to.vouchers_issued += from.vouchers_issued;
  to.vouchers_used += from.vouchers_used;
  to.vouchers_declined += from.vouchers_declined;
  to.vouchers_expired += from.vouchers_expired;
  to.vouchers_returned += from.vouchers_returned;
  to.stop_listed += from.stop_listed;
  to.returned_to_queue += from.returned_to_queue;
  to.archived_documents_rejected += from.archived_documents_rejected;
  to.archived_declined += from.archived_declined;
  to.archived_not_enrolled += from.archived_not_enrolled;
  to.archived_enrolled += from.archived_enrolled;
  to.archived_withdrawn += from.archived_withdrawn;
  to.archived_school_age += from.archived_school_age;
  to.wait_to_voucher_minutes.insert(to.wait_to_voucher_minutes.end(), from.wait_to_voucher_minutes.begin(),
                                    from.wait_to_voucher_minutes.end());
  to.wait_to_enrollment_minutes.insert(to.wait_to_enrollment_minutes.end(), from.wait_to_enrollment_minutes.begin(),
                                       from.wait_to_enrollment_minutes.end());
}

uint32_t MinutesBetween(int64_t from_ms, int64_t to_ms) {
  return to_ms <= from_ms ? 0u : static_cast<uint32_t>(std::min<int64_t>((to_ms - from_ms) / 60'000, UINT32_MAX));
}

}  // namespace

bool HistoryStats::Apply(std::span<const uint8_t> bytes) {
  const fb::JournalRecord* record = fb::GetJournalRecord(bytes.data());
  // A point is an input's end (docs/audit.md, "As of"): the bound stops at the first record of an
  // input (part 0), and the later parts of an input begun before it are taken.
  if (bound_.before_sequence && record->sequence() >= *bound_.before_sequence && record->part() == 0) return false;
  if (bound_.before_ms && record->engine_time_ms() >= *bound_.before_ms) return false;
  const int64_t at = record->engine_time_ms();
  if (at > 0) {
    const int32_t month = MonthOf(at);
    if (month_ == 0) month_ = month;
    if (month > month_) CloseMonthsUntil(month);
  }
  ++records_;
  next_sequence_ = record->sequence() + 1;
  engine_time_ms_ = at;
  if (record->decisions() != nullptr) {
    for (const fb::Decision* decision : *record->decisions()) Decide(*decision, at);
  }
  if (record->outcome() == fb::Outcome::Applied && record->part() == 0) Action(*record);
  return true;
}

namespace {
constexpr uint32_t kSavedFormat = 1;

void SaveMinutes(bytes::Out& out, const std::vector<uint32_t>& minutes) {
  out.U32(minutes.size());
  for (const uint32_t m : minutes) out.U32(m);
}
bool LoadMinutes(bytes::In& in, std::vector<uint32_t>* minutes) {
  const uint64_t n = in.Count(in.U32(), 4);
  minutes->resize(n);
  for (uint64_t i = 0; i < n; ++i) (*minutes)[i] = in.U32();
  return in.ok();
}
}  // namespace

std::string HistoryStats::Save() const {
  bytes::Out out;
  out.U32(kSavedFormat).U64(records_).U64(next_sequence_).I64(engine_time_ms_).U32(static_cast<uint32_t>(month_));
  std::vector<std::pair<uint64_t, const App*>> apps;
  apps.reserve(apps_.size());
  for (const auto& [id, app] : apps_) apps.emplace_back(id, &app);
  std::sort(apps.begin(), apps.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  out.U64(apps.size());
  for (const auto& [id, a] : apps) {
    out.U64(id).I64(a->filed_at_ms).U32(a->locality).U8(a->special).U8(a->waiting ? 1 : 0).U8(a->had_voucher ? 1 : 0);
  }
  out.U64(flows_.size());
  for (const auto& [key, f] : flows_) {
    out.U32(key.locality).U8(key.special);
    for (const uint64_t v : {f.filed, f.queued, f.waiting, f.vouchers_issued, f.vouchers_used, f.vouchers_declined,
                             f.vouchers_expired, f.vouchers_returned, f.stop_listed, f.returned_to_queue,
                             f.archived_documents_rejected, f.archived_declined, f.archived_not_enrolled, f.archived_enrolled,
                             f.archived_withdrawn, f.archived_school_age}) {
      out.U64(v);
    }
    SaveMinutes(out, f.wait_to_voucher_minutes);
    SaveMinutes(out, f.wait_to_enrollment_minutes);
  }
  out.U64(monthly_.size());
  for (const auto& [at, waiting] : monthly_) out.U32(static_cast<uint32_t>(at.first)).U32(at.second.locality).U8(at.second.special).U64(waiting);
  out.U64(locality_names_.size());
  for (const auto& [id, name] : locality_names_) out.U32(id).Str(name);
  out.U64(kindergartens_.size());
  for (const auto& [id, k] : kindergartens_) out.U32(id).U32(k.locality).Str(k.name_ru).U64(k.requests).U64(k.enrollments);
  return out.Take();
}

bool HistoryStats::Load(std::string_view bytes) {
  bytes::In in(bytes);
  if (in.U32() != kSavedFormat) return false;
  HistoryStats loaded(bound_);
  loaded.records_ = in.U64();
  loaded.next_sequence_ = in.U64();
  loaded.engine_time_ms_ = in.I64();
  loaded.month_ = static_cast<int32_t>(in.U32());
  const uint64_t apps = in.Count(in.U64(), 23);
  loaded.apps_.reserve(apps);
  for (uint64_t i = 0; i < apps && in.ok(); ++i) {
    const uint64_t id = in.U64();
    App a;
    a.filed_at_ms = in.I64();
    a.locality = in.U32();
    a.special = in.U8();
    a.waiting = in.U8() != 0;
    a.had_voucher = in.U8() != 0;
    loaded.apps_[id] = a;
  }
  const uint64_t flows = in.Count(in.U64(), 5 + 16 * 8 + 8);
  for (uint64_t i = 0; i < flows && in.ok(); ++i) {
    Key key;
    key.locality = in.U32();
    key.special = in.U8();
    Flows& f = loaded.flows_[key];
    for (uint64_t* v : {&f.filed, &f.queued, &f.waiting, &f.vouchers_issued, &f.vouchers_used, &f.vouchers_declined,
                        &f.vouchers_expired, &f.vouchers_returned, &f.stop_listed, &f.returned_to_queue,
                        &f.archived_documents_rejected, &f.archived_declined, &f.archived_not_enrolled, &f.archived_enrolled,
                        &f.archived_withdrawn, &f.archived_school_age}) {
      *v = in.U64();
    }
    if (!LoadMinutes(in, &f.wait_to_voucher_minutes) || !LoadMinutes(in, &f.wait_to_enrollment_minutes)) return false;
  }
  const uint64_t months = in.Count(in.U64(), 17);
  for (uint64_t i = 0; i < months && in.ok(); ++i) {
    const auto month = static_cast<int32_t>(in.U32());
    Key key;
    key.locality = in.U32();
    key.special = in.U8();
    loaded.monthly_[{month, key}] = in.U64();
  }
  const uint64_t names = in.Count(in.U64(), 8);
  for (uint64_t i = 0; i < names && in.ok(); ++i) {
    const uint32_t id = in.U32();
    loaded.locality_names_[id] = in.Str();
  }
  const uint64_t kindergartens = in.Count(in.U64(), 28);
  for (uint64_t i = 0; i < kindergartens && in.ok(); ++i) {
    const uint32_t id = in.U32();
    Kindergarten& k = loaded.kindergartens_[id];
    k.locality = in.U32();
    k.name_ru = in.Str();
    k.requests = in.U64();
    k.enrollments = in.U64();
  }
  if (!in.done()) return false;
  *this = std::move(loaded);
  return true;
}

// Snapshots the waiting counts of month_ (and of the months with no record, up to `month`).
void HistoryStats::CloseMonthsUntil(int32_t month) {
  for (; month_ < month; month_ = NextMonth(month_)) {
    for (const auto& [key, flows] : flows_) monthly_[{month_, key}] = flows.waiting;
  }
}

void HistoryStats::Action(const fb::JournalRecord& record) {
  const fb::Action* action = record.action_nested_root();
  if (action == nullptr) return;
  if (const auto* l = action->body_as_UpsertLocality(); l != nullptr && l->name_ru() != nullptr) {
    locality_names_[l->locality()] = l->name_ru()->str();
  } else if (const auto* k = action->body_as_UpsertKindergarten(); k != nullptr) {
    Kindergarten& kg = kindergartens_[k->kindergarten()];
    kg.locality = k->locality();
    if (k->name_ru() != nullptr) kg.name_ru = k->name_ru()->str();
  }
}

void HistoryStats::Decide(const fb::Decision& decision, int64_t at) {
  switch (decision.body_type()) {
    case fb::DecisionBody::ApplicationAccepted: {
      const auto* d = decision.body_as_ApplicationAccepted();
      App& app = apps_[d->application()];
      const auto locality = LocalityOfNumber(d->application());
      app.locality = locality ? locality->value : 0;
      app.special = d->queue_type() == fb::QueueType::Special ? 1 : 0;
      app.filed_at_ms = d->filed_at_ms();
      ++FlowsOf(app).filed;
      break;
    }
    case fb::DecisionBody::EnteredQueue:
    case fb::DecisionBody::ReturnedToQueue: {
      const bool returned = decision.body_type() == fb::DecisionBody::ReturnedToQueue;
      const uint64_t id = returned ? decision.body_as_ReturnedToQueue()->application() : decision.body_as_EnteredQueue()->application();
      App& app = apps_[id];
      if (!returned) {
        const auto* d = decision.body_as_EnteredQueue();
        app.locality = d->locality();
        app.special = d->queue_type() == fb::QueueType::Special ? 1 : 0;
        app.filed_at_ms = d->filed_at_ms();
      }
      Flows& flows = FlowsOf(app);
      ++(returned ? flows.returned_to_queue : flows.queued);
      if (!app.waiting) ++flows.waiting;
      app.waiting = true;
      break;
    }
    case fb::DecisionBody::VoucherIssued: {
      App& app = apps_[decision.body_as_VoucherIssued()->application()];
      Flows& flows = FlowsOf(app);
      ++flows.vouchers_issued;
      if (app.waiting) --flows.waiting;
      app.waiting = false;
      if (!app.had_voucher) flows.wait_to_voucher_minutes.push_back(MinutesBetween(app.filed_at_ms, at));
      app.had_voucher = true;
      break;
    }
    case fb::DecisionBody::Enrolled: {
      const auto* d = decision.body_as_Enrolled();
      App& app = apps_[d->application()];
      Flows& flows = FlowsOf(app);
      ++flows.vouchers_used;
      flows.wait_to_enrollment_minutes.push_back(MinutesBetween(app.filed_at_ms, at));
      ++kindergartens_[d->kindergarten()].enrollments;
      break;
    }
    case fb::DecisionBody::EnrollmentRequested:
      ++kindergartens_[decision.body_as_EnrollmentRequested()->kindergarten()].requests;
      break;
    case fb::DecisionBody::VoucherAnnulled: {
      const auto* d = decision.body_as_VoucherAnnulled();
      Flows& flows = FlowsOf(apps_[d->application()]);
      switch (d->reason()) {
        case fb::AnnulReason::Declined: ++flows.vouchers_declined; break;
        case fb::AnnulReason::InterestNotConfirmed:
        case fb::AnnulReason::NotEnrolledInTime: ++flows.vouchers_expired; break;
        case fb::AnnulReason::Withdrawn:
        case fb::AnnulReason::SchoolAge: ++flows.vouchers_returned; break;
      }
      break;
    }
    case fb::DecisionBody::StopListed:
      ++FlowsOf(apps_[decision.body_as_StopListed()->application()]).stop_listed;
      break;
    case fb::DecisionBody::Archived: {
      const auto* d = decision.body_as_Archived();
      App& app = apps_[d->application()];
      Flows& flows = FlowsOf(app);
      if (app.waiting) --flows.waiting;
      app.waiting = false;
      switch (d->reason()) {
        case fb::ArchiveReason::DocumentsRejected: ++flows.archived_documents_rejected; break;
        case fb::ArchiveReason::Declined: ++flows.archived_declined; break;
        case fb::ArchiveReason::NotEnrolledInTime: ++flows.archived_not_enrolled; break;
        case fb::ArchiveReason::Enrolled: ++flows.archived_enrolled; break;
        case fb::ArchiveReason::Withdrawn: ++flows.archived_withdrawn; break;
        case fb::ArchiveReason::SchoolAge: ++flows.archived_school_age; break;
      }
      break;
    }
    case fb::DecisionBody::NONE:
    case fb::DecisionBody::AwaitingDocuments:
    case fb::DecisionBody::DocumentsRejected:  // its Archived follows
    case fb::DecisionBody::InterestConfirmed:
    case fb::DecisionBody::ExtensionGranted:
    case fb::DecisionBody::ContractSent:
    case fb::DecisionBody::ParentSigned:
    case fb::DecisionBody::EnrollmentRequestLapsed:
    case fb::DecisionBody::VouchersAllocated:  // its VoucherIssued follow
    case fb::DecisionBody::PlaceFreed:         // places are the read models' (the catalogue)
    case fb::DecisionBody::DeadlineMoved:
    case fb::DecisionBody::Notification:
    case fb::DecisionBody::MessageTemplatesSet:
      break;
  }
}

std::map<HistoryStats::Key, HistoryStats::Flows> HistoryStats::FlowsByKey() const {
  std::map<Key, Flows> out = flows_;
  for (const auto& [key, flows] : flows_) {
    if (key.locality != 0) Add(out[Key{0, key.special}], flows);
  }
  return out;
}

std::string HistoryStats::LocalityName(uint32_t locality) const {
  if (locality == 0) return "Казахстан";
  const auto it = locality_names_.find(locality);
  return it == locality_names_.end() ? std::string() : it->second;
}

std::map<std::pair<int32_t, HistoryStats::Key>, uint64_t> HistoryStats::QueueRows() const {
  std::map<std::pair<int32_t, Key>, uint64_t> rows = monthly_;
  if (month_ != 0) {
    for (const auto& [key, flows] : flows_) rows[{month_, key}] = flows.waiting;  // the month as of now
  }
  std::map<std::pair<int32_t, uint8_t>, uint64_t> country;
  for (const auto& [at, waiting] : rows) {
    if (at.second.locality != 0) country[{at.first, at.second.special}] += waiting;
  }
  for (const auto& [at, waiting] : country) rows[{at.first, Key{0, at.second}}] = waiting;
  return rows;
}

std::vector<std::pair<uint32_t, const HistoryStats::Kindergarten*>> HistoryStats::Popular(uint32_t top) const {
  std::vector<std::pair<uint32_t, const Kindergarten*>> ranked;
  for (const auto& [id, k] : kindergartens_) {
    if (k.requests > 0 || k.enrollments > 0) ranked.emplace_back(id, &k);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return std::tie(b.second->requests, b.second->enrollments) < std::tie(a.second->requests, a.second->enrollments);
  });
  if (ranked.size() > top) ranked.resize(top);
  return ranked;
}

std::string HistoryStats::Csv(std::string_view section, uint32_t top) const {
  std::string out;
  // RFC 4180: quoted when it holds , " or a line break. A name a spreadsheet would take for a
  // formula (=, +, -, @ first: "=HYPERLINK(...)" posted as a ДО's name) is written with a ' first
  // and quoted, as OWASP advises against CSV injection; a name is never a number here.
  const auto csv = [](const std::string& name) {
    std::string text = Shown(name);
    const bool formula = !text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos;
    if (formula) text = std::string(1, '\'') + text;
    if (!formula && text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string quoted = "\"";
    for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  };
  if (section == "queue") {
    out += "month,locality,locality_name,queue,waiting\n";
    for (const auto& [at, waiting] : QueueRows()) {
      out += fmt::format("{},{},{},{},{}\n", MonthText(at.first), at.second.locality, csv(LocalityName(at.second.locality)),
                         QueueName(at.second.special), waiting);
    }
  } else if (section == "flows") {
    out += "locality,locality_name,queue,filed,queued,waiting,vouchers_issued,vouchers_used,vouchers_declined,"
           "vouchers_expired,vouchers_returned,stop_listed,returned_to_queue,archived_documents_rejected,"
           "archived_declined,archived_not_enrolled,archived_enrolled,archived_withdrawn,archived_school_age,"
           "wait_to_voucher_days_p50,wait_to_voucher_days_p90,wait_to_enrollment_days_p50,wait_to_enrollment_days_p90\n";
    for (const auto& [key, f] : FlowsByKey()) {
      out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", key.locality,
                         csv(LocalityName(key.locality)), QueueName(key.special), f.filed, f.queued, f.waiting, f.vouchers_issued,
                         f.vouchers_used, f.vouchers_declined, f.vouchers_expired, f.vouchers_returned, f.stop_listed,
                         f.returned_to_queue, f.archived_documents_rejected, f.archived_declined, f.archived_not_enrolled,
                         f.archived_enrolled, f.archived_withdrawn, f.archived_school_age,
                         Days(PercentileDays(f.wait_to_voucher_minutes, 50)), Days(PercentileDays(f.wait_to_voucher_minutes, 90)),
                         Days(PercentileDays(f.wait_to_enrollment_minutes, 50)),
                         Days(PercentileDays(f.wait_to_enrollment_minutes, 90)));
    }
  } else if (section == "kindergartens") {
    out += "kindergarten,name,locality,enrollment_requests,enrollments\n";
    for (const auto& [id, k] : Popular(top)) {
      out += fmt::format("{},{},{},{},{}\n", id, csv(k->name_ru), k->locality, k->requests, k->enrollments);
    }
  }
  return out;
}

std::string HistoryStats::Json(uint32_t top) const {
  std::string flows;
  for (const auto& [key, f] : FlowsByKey()) {
    flows += fmt::format(
        R"({}{{"locality": {}, "locality_name": {}, "queue": "{}", "filed": {}, "queued": {}, "waiting": {}, )"
        R"("vouchers": {{"issued": {}, "used": {}, "declined": {}, "expired": {}, "returned": {}}}, )"
        R"("stop_list": {{"entered": {}, "returned_to_queue": {}}}, )"
        R"("archived": {{"documents_rejected": {}, "declined": {}, "not_enrolled_in_time": {}, "enrolled": {}, "withdrawn": {}, "school_age": {}}}, )"
        R"("wait_to_voucher_days": {{"count": {}, "p50": {}, "p90": {}}}, "wait_to_enrollment_days": {{"count": {}, "p50": {}, "p90": {}}}}})",
        flows.empty() ? "" : ",\n  ", key.locality, JsonQuoted(LocalityName(key.locality)), QueueName(key.special), f.filed,
        f.queued, f.waiting, f.vouchers_issued, f.vouchers_used, f.vouchers_declined, f.vouchers_expired,
        f.vouchers_returned, f.stop_listed, f.returned_to_queue, f.archived_documents_rejected, f.archived_declined,
        f.archived_not_enrolled, f.archived_enrolled, f.archived_withdrawn, f.archived_school_age,
        f.wait_to_voucher_minutes.size(), DaysJson(PercentileDays(f.wait_to_voucher_minutes, 50)),
        DaysJson(PercentileDays(f.wait_to_voucher_minutes, 90)), f.wait_to_enrollment_minutes.size(),
        DaysJson(PercentileDays(f.wait_to_enrollment_minutes, 50)), DaysJson(PercentileDays(f.wait_to_enrollment_minutes, 90)));
  }
  std::string queue;
  for (const auto& [at, waiting] : QueueRows()) {
    queue += fmt::format(R"({}{{"month": "{}", "locality": {}, "queue": "{}", "waiting": {}}})", queue.empty() ? "" : ",\n  ",
                         MonthText(at.first), at.second.locality, QueueName(at.second.special), waiting);
  }
  std::string popular;
  for (const auto& [id, k] : Popular(top)) {
    popular += fmt::format(R"({}{{"kindergarten": {}, "name": {}, "locality": {}, "enrollment_requests": {}, "enrollments": {}}})",
                           popular.empty() ? "" : ",\n  ", id, JsonQuoted(k->name_ru), k->locality, k->requests, k->enrollments);
  }
  return fmt::format("{{\"as_of\": {{\"sequence\": {}, \"engine_time_ms\": {}}}, \"records\": {},\n \"flows\": [\n  {}],\n "
                     "\"queue\": [\n  {}],\n \"kindergartens\": [\n  {}]}}\n",
                     next_sequence_, engine_time_ms_, records_, flows, queue, popular);
}

std::string HistoryStats::Text(uint32_t top) const {
  std::string out = fmt::format("{:<32} {:<8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}\n", "locality",
                                "queue", "filed", "waiting", "vouchers", "used", "declined", "expired", "stop-list",
                                "voucher", "enrolled");
  out += fmt::format("{:<32} {:<8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}\n", "", "", "", "", "issued", "", "",
                     "", "", "p50 days", "p50 days");
  for (const auto& [key, f] : FlowsByKey()) {
    std::string name = Shown(LocalityName(key.locality));
    if (name.empty()) name = fmt::format("{}", key.locality);
    // Pad by characters, not bytes (the names are Cyrillic).
    size_t chars = 0;
    for (const char c : name) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (chars < 32) name += std::string(32 - chars, ' ');
    out += fmt::format("{} {:<8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}\n", name, QueueName(key.special),
                       f.filed, f.waiting, f.vouchers_issued, f.vouchers_used, f.vouchers_declined, f.vouchers_expired,
                       f.stop_listed, Days(PercentileDays(f.wait_to_voucher_minutes, 50)),
                       Days(PercentileDays(f.wait_to_enrollment_minutes, 50)));
  }
  const std::string popular = Csv("kindergartens", top);
  out += fmt::format("\nthe {} most requested ДО (kindergarten,name,locality,enrollment_requests,enrollments):\n{}", top,
                     popular.substr(popular.find('\n') + 1));
  return out;
}

}  // namespace kezek::projections
