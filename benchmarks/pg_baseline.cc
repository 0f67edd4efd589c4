#include "benchmarks/pg_baseline.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <variant>

#define XXH_STATIC_LINKING_ONLY
#include <fmt/format.h>
#include <xxhash.h>

#include "engine/civil_time.h"
#include "engine/engine.h"
#include "engine/iin.h"
#include "engine/limits.h"
#include "engine/messages.h"
#include "engine/numbers.h"
#include "engine/rules.h"  // pure helpers only: who may post what, the age on 1 September

namespace kezek::bench {
namespace {

using Status = fb::ApplicationStatus;
using Code = fb::RejectionCode;

// The schema a portal team would write: one row per entity, enums as smallint, partial indexes
// for the queue order, the deadlines and the one-active-application-per-child rule.
constexpr const char* kSchema = R"sql(
DROP TABLE IF EXISTS localities, utc_offsets, calendar_days, kindergartens, groups, policies, queues,
  applications, vouchers, idempotency, journal, notifications, message_templates, meta CASCADE;
CREATE TABLE localities(id int PRIMARY KEY, name_ru text NOT NULL, name_kk text NOT NULL, region_code text);
CREATE TABLE utc_offsets(locality int, effective_from bigint, offset_minutes smallint NOT NULL,
  PRIMARY KEY (locality, effective_from));
CREATE TABLE calendar_days(day int PRIMARY KEY, kind smallint NOT NULL);
CREATE TABLE kindergartens(id int PRIMARY KEY, locality int NOT NULL, name_ru text NOT NULL, name_kk text NOT NULL);
CREATE TABLE groups(id int PRIMARY KEY, kindergarten int NOT NULL, language smallint NOT NULL,
  min_age smallint NOT NULL, max_age smallint NOT NULL, correction smallint NOT NULL,
  capacity int NOT NULL, taken int NOT NULL DEFAULT 0);
CREATE INDEX groups_by_kindergarten ON groups(kindergarten, correction);
CREATE TABLE policies(locality int PRIMARY KEY, ratio_priority smallint NOT NULL, ratio_general smallint NOT NULL,
  tiers text NOT NULL);
CREATE TABLE queues(id int PRIMARY KEY, locality int NOT NULL, type smallint NOT NULL, birth_year smallint NOT NULL,
  language smallint NOT NULL, correction smallint NOT NULL, cycle int NOT NULL DEFAULT 0,
  UNIQUE (locality, type, birth_year, language, correction));
CREATE TABLE applications(id bigint PRIMARY KEY, child bigint NOT NULL, applicant bigint NOT NULL,
  child_name text NOT NULL, birth_date int NOT NULL, filed_at bigint NOT NULL, school_age_at bigint NOT NULL,
  locality int NOT NULL, queue_id int NOT NULL, category text NOT NULL, tier smallint NOT NULL, line smallint NOT NULL,
  type smallint NOT NULL, language smallint NOT NULL, correction smallint NOT NULL, kindergarten int NOT NULL,
  conclusion text NOT NULL, status smallint NOT NULL, archive_reason smallint NOT NULL,
  annulled_by_deadline bool NOT NULL, extension_used bool NOT NULL, voucher bigint NOT NULL, group_id int NOT NULL,
  contract_number text NOT NULL, parent_sha text NOT NULL, kg_sha text NOT NULL,
  deadline_kind smallint NOT NULL, deadline_at bigint NOT NULL, deadline_date int NOT NULL);
CREATE INDEX applications_waiting ON applications(queue_id, line, tier, filed_at, id) WHERE status = 1;
CREATE UNIQUE INDEX applications_active_child ON applications(child, type) WHERE status <> 8;
CREATE INDEX applications_deadline ON applications(deadline_at, id) WHERE deadline_kind <> 0;
CREATE INDEX applications_school_age ON applications(school_age_at, id) WHERE status <> 8;
CREATE INDEX applications_enrolled_leaving ON applications(school_age_at, id) WHERE status = 8 AND archive_reason = 3 AND group_id <> 0;
CREATE INDEX applications_holding_place ON applications(child) WHERE status = 8 AND archive_reason = 3 AND group_id <> 0;
CREATE TABLE vouchers(id bigint PRIMARY KEY, queue_id int NOT NULL, state smallint NOT NULL, holder bigint NOT NULL);
CREATE INDEX vouchers_free ON vouchers(queue_id, id) WHERE state = 0;
CREATE TABLE idempotency(key text PRIMARY KEY, digest_low bigint NOT NULL, digest_high bigint NOT NULL,
  sequence bigint NOT NULL);
CREATE TABLE journal(sequence bigint PRIMARY KEY, engine_time bigint NOT NULL, action bytea, outcome smallint NOT NULL,
  code smallint NOT NULL, decisions bytea NOT NULL);
CREATE TABLE notifications(id bigserial PRIMARY KEY, sequence bigint NOT NULL, application bigint NOT NULL,
  recipient text NOT NULL, kind smallint NOT NULL, text_ru text NOT NULL, text_kk text NOT NULL);
CREATE TABLE message_templates(version int, kind smallint, variant smallint, ru text NOT NULL, kk text NOT NULL,
  PRIMARY KEY (version, kind, variant));
CREATE TABLE meta(id int PRIMARY KEY, now bigint NOT NULL, clock bigint NOT NULL);
INSERT INTO meta VALUES (1, 0, 0);
)sql";

constexpr const char* kAppColumns =
    "id, child, applicant, child_name, birth_date, filed_at, school_age_at, locality, queue_id, category, tier, line, "
    "type, language, correction, kindergarten, conclusion, status, archive_reason, annulled_by_deadline, "
    "extension_used, voucher, group_id, contract_number, parent_sha, kg_sha, deadline_kind, deadline_at, deadline_date";

struct Statement {
  const char* name;
  std::string sql;
};

const std::vector<Statement>& PreparedStatements() {
  static const std::vector<Statement> kStatements = {
      {"idem_get", "SELECT digest_low, digest_high, sequence FROM idempotency WHERE key = $1"},
      {"idem_put", "INSERT INTO idempotency VALUES ($1, $2, $3, $4)"},
      {"journal_put", "INSERT INTO journal VALUES ($1, $2, $3, $4, $5, $6)"},
      {"notify", "INSERT INTO notifications(sequence, application, recipient, kind, text_ru, text_kk) "
                 "VALUES ($1, $2, $3, $4, $5, $6)"},
      {"set_now", "UPDATE meta SET now = $1, clock = $2 WHERE id = 1"},
      {"due",
       "SELECT id, at, school FROM ("
       "(SELECT id, deadline_at AS at, 0 AS school FROM applications WHERE deadline_kind <> 0 AND deadline_at <= $1 "
       "ORDER BY deadline_at, id LIMIT 1) UNION ALL "
       "(SELECT id, school_age_at, 1 FROM applications WHERE status <> 8 AND school_age_at <= $1 "
       "ORDER BY school_age_at, id LIMIT 1) UNION ALL "
       // An enrolled child (archived Enrolled = 3, its group kept) leaves for school: its place is freed.
       "(SELECT id, school_age_at, 1 FROM applications WHERE status = 8 AND archive_reason = 3 AND group_id <> 0 "
       "AND school_age_at <= $1 ORDER BY school_age_at, id LIMIT 1)) t ORDER BY at, id, school LIMIT 1"},
      {"app_get", fmt::format("SELECT {} FROM applications WHERE id = $1 FOR UPDATE", kAppColumns)},
      // A position read in one round trip: those ahead in the own line, the other line's size,
      // and the queue's ratio cycle.
      {"position",
       "WITH a AS (SELECT queue_id, line, tier, filed_at, id FROM applications WHERE id = $1 AND status = 1) "
       "SELECT (SELECT count(*) FROM applications w WHERE w.queue_id = a.queue_id AND w.line = a.line "
       "AND w.status = 1 AND (w.tier, w.filed_at, w.id) < (a.tier, a.filed_at, a.id)), "
       "(SELECT count(*) FROM applications w WHERE w.queue_id = a.queue_id AND w.line <> a.line AND w.status = 1), "
       "a.line, q.locality, q.cycle FROM a JOIN queues q ON q.id = a.queue_id"},
      {"app_put", fmt::format("INSERT INTO applications({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                              "$12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)",
                              kAppColumns)},
      {"app_set",
       "UPDATE applications SET tier = $2, line = $3, status = $4, archive_reason = $5, annulled_by_deadline = $6, "
       "extension_used = $7, voucher = $8, group_id = $9, contract_number = $10, parent_sha = $11, kg_sha = $12, "
       "deadline_kind = $13, deadline_at = $14, deadline_date = $15 WHERE id = $1"},
      {"active_of_child", "SELECT id, type FROM applications WHERE child = $1 AND status <> 8 ORDER BY type"},
      {"apps_with_timers", "SELECT id FROM applications WHERE status <> 8 OR (archive_reason = 3 AND group_id <> 0) "
                           "ORDER BY id"},
      {"app_school_age_set", "UPDATE applications SET school_age_at = $2 WHERE id = $1"},
      {"child_known", "SELECT 1 FROM applications WHERE child = $1 LIMIT 1"},
      {"place_of_child", "SELECT id FROM applications WHERE child = $1 AND status = 8 AND archive_reason = 3 "
                         "AND group_id <> 0"},
      {"rank", "SELECT count(*) FROM applications WHERE queue_id = $1 AND line = $2 AND status = 1 "
               "AND (tier, filed_at, id) < ($3, $4, $5)"},
      {"line_size", "SELECT count(*) FROM applications WHERE queue_id = $1 AND line = $2 AND status = 1"},
      {"head", "SELECT id FROM applications WHERE queue_id = $1 AND line = $2 AND status = 1 "
               "ORDER BY tier, filed_at, id LIMIT 1"},
      {"queue_find", "SELECT id FROM queues WHERE locality = $1 AND type = $2 AND birth_year = $3 AND language = $4 "
                     "AND correction = $5"},
      // Many ranks in one statement: the ranking query's own cost, without a round trip each.
      {"ranks",
       "SELECT a.id, (SELECT count(*) FROM applications w WHERE w.queue_id = a.queue_id AND w.line = a.line "
       "AND w.status = 1 AND (w.tier, w.filed_at, w.id) < (a.tier, a.filed_at, a.id)) "
       "FROM applications a WHERE a.id = ANY($1::bigint[]) AND a.status = 1"},
      {"queue_put", "INSERT INTO queues VALUES ($1, $2, $3, $4, $5, $6, 0)"},
      {"queue_get", "SELECT locality, cycle FROM queues WHERE id = $1 FOR UPDATE"},
      {"queue_cycle", "UPDATE queues SET cycle = $2 WHERE id = $1"},
      {"queues_reset", "UPDATE queues SET cycle = 0 WHERE locality = ANY($1::int[])"},
      {"voucher_free", "SELECT id FROM vouchers WHERE queue_id = $1 AND state = 0 ORDER BY id LIMIT 1"},
      {"voucher_set", "UPDATE vouchers SET state = $2, holder = $3 WHERE id = $1"},
      {"vouchers_add", "INSERT INTO vouchers SELECT g, $3, 0, 0 FROM generate_series($1::bigint, $2::bigint) g"},
      {"locality_get", "SELECT 1 FROM localities WHERE id = $1"},
      {"locality_put", "INSERT INTO localities VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET "
                       "name_ru = EXCLUDED.name_ru, name_kk = EXCLUDED.name_kk, region_code = EXCLUDED.region_code"},
      {"offset_put", "INSERT INTO utc_offsets VALUES ($1, $2, $3) ON CONFLICT (locality, effective_from) DO UPDATE "
                     "SET offset_minutes = EXCLUDED.offset_minutes"},
      {"kindergarten_get", "SELECT locality, name_ru, name_kk FROM kindergartens WHERE id = $1"},
      {"kindergarten_put", "INSERT INTO kindergartens VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET "
                           "locality = EXCLUDED.locality, name_ru = EXCLUDED.name_ru, name_kk = EXCLUDED.name_kk"},
      {"kindergarten_serves", "SELECT 1 FROM groups WHERE kindergarten = $1 AND correction = $2 LIMIT 1"},
      {"group_get", "SELECT g.kindergarten, g.language, g.min_age, g.max_age, g.correction, g.capacity, g.taken, "
                    "k.locality FROM groups g JOIN kindergartens k ON k.id = g.kindergarten WHERE g.id = $1 FOR UPDATE"},
      {"group_put", "INSERT INTO groups VALUES ($1, $2, $3, $4, $5, $6, $7, 0) ON CONFLICT (id) DO UPDATE SET "
                    "kindergarten = EXCLUDED.kindergarten, language = EXCLUDED.language, min_age = EXCLUDED.min_age, "
                    "max_age = EXCLUDED.max_age, correction = EXCLUDED.correction, capacity = EXCLUDED.capacity"},
      {"group_taken", "UPDATE groups SET taken = taken + $2 WHERE id = $1"},
      {"calendar_put", "INSERT INTO calendar_days VALUES ($1, $2) ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind"},
      {"template_put", "INSERT INTO message_templates VALUES ($1, $2, $3, $4, $5)"},
      {"policy_put", "INSERT INTO policies VALUES ($1, $2, $3, $4) ON CONFLICT (locality) DO UPDATE SET "
                     "ratio_priority = EXCLUDED.ratio_priority, ratio_general = EXCLUDED.ratio_general, "
                     "tiers = EXCLUDED.tiers"},
      {"categories_of", "SELECT DISTINCT category FROM applications WHERE status <> 8 AND locality = ANY($1::int[])"},
      {"rerank", "UPDATE applications SET tier = $2, line = $3 WHERE category = $1 AND status <> 8 "
                 "AND locality = ANY($4::int[])"},
      {"localities_all", "SELECT id FROM localities"},
  };
  return kStatements;
}

struct DbError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One statement's parameters in text form (bytea in binary).
class Params {
 public:
  Params& Int(int64_t v) {
    char buffer[24];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
    values_.emplace_back(buffer, end);
    formats_.push_back(0);
    return *this;
  }
  Params& Text(std::string_view v) {
    values_.emplace_back(v);
    formats_.push_back(0);
    return *this;
  }
  Params& Bool(bool v) { return Text(v ? "t" : "f"); }
  Params& Bytes(std::span<const uint8_t> v) {
    values_.emplace_back(reinterpret_cast<const char*>(v.data()), v.size());
    formats_.push_back(1);
    return *this;
  }
  int size() const { return static_cast<int>(values_.size()); }
  void Finish() {
    pointers_.clear();
    lengths_.clear();
    for (const auto& v : values_) {
      pointers_.push_back(v.data());
      lengths_.push_back(static_cast<int>(v.size()));
    }
  }
  const char* const* pointers() const { return pointers_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  std::vector<std::string> values_;
  std::vector<int> formats_;
  std::vector<const char*> pointers_;
  std::vector<int> lengths_;
};

class Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  int rows() const { return PQntuples(r_); }
  bool empty() const { return rows() == 0; }
  int64_t Int(int row, int column) const {
    const char* text = PQgetvalue(r_, row, column);
    int64_t v = 0;
    std::from_chars(text, text + PQgetlength(r_, row, column), v);
    return v;
  }
  std::string Text(int row, int column) const {
    return std::string(PQgetvalue(r_, row, column), static_cast<size_t>(PQgetlength(r_, row, column)));
  }
  bool Bool(int row, int column) const { return PQgetvalue(r_, row, column)[0] == 't'; }

 private:
  PGresult* r_;
};

std::string IntArray(const std::vector<uint32_t>& values) {
  std::string text = "{";
  for (size_t i = 0; i < values.size(); ++i) text += fmt::format("{}{}", i ? "," : "", values[i]);
  return text + "}";
}

struct Rejected {
  Code code;
};

// The application row, as the service reads and writes it.
struct App {
  uint64_t id = 0;
  uint64_t child = 0;
  uint64_t applicant = 0;
  std::string child_name;
  int32_t birth_date = 0;
  int64_t filed_at = 0;
  int64_t school_age_at = 0;
  uint32_t locality = 0;
  uint32_t queue = 0;
  std::string category;
  uint8_t tier = 0;
  Line line = Line::General;
  fb::QueueType type = fb::QueueType::General;
  fb::Language language = fb::Language::Kk;
  fb::CorrectionType correction = fb::CorrectionType::None;
  uint32_t kindergarten = 0;
  std::string conclusion;
  Status status = Status::AwaitingDocuments;
  fb::ArchiveReason archive_reason = fb::ArchiveReason::DocumentsRejected;
  bool annulled_by_deadline = false;
  bool extension_used = false;
  uint64_t voucher = 0;
  uint32_t group = 0;
  std::string contract_number;
  std::string parent_sha;
  std::string kg_sha;
  fb::DeadlineKind deadline = fb::DeadlineKind::None;
  int64_t deadline_at = 0;
  int32_t deadline_date = 0;
};

// The engine's checks of a field, answered as the team's service answers: by the code.
void CheckText(const flatbuffers::String* text, bool required) {
  if (auto v = rules::CheckText(text, "", required)) throw Rejected{v->code};
}

IinInfo CheckIin(const flatbuffers::String* text) {
  if (text == nullptr) throw Rejected{Code::MissingField};
  const auto parsed = ParseIin(text->string_view());
  if (const auto* error = std::get_if<IinError>(&parsed)) throw Rejected{error->code};
  return std::get<IinInfo>(parsed);
}

void CheckDigest(const flatbuffers::String* digest) {
  if (digest == nullptr) throw Rejected{Code::MissingField};
  const std::string_view text = digest->string_view();
  if (text.size() != 64 || text.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    throw Rejected{Code::InvalidField};
  }
}

}  // namespace

struct PgBaseline::Impl {
  PGconn* conn = nullptr;
  WorkingCalendar calendar;
  UtcOffsets offsets;
  std::map<uint32_t, PriorityPolicy> policies;
  int64_t now = 0;
  int64_t clock = 0;  // the System clock's latest tick (rules::AdmitInstant)
  uint64_t next_sequence = 0;
  // Country-wide numbers (engine/numbers.h): by locality, the serial of its last application and voucher.
  std::map<uint32_t, uint32_t> applications_numbered;
  std::map<uint32_t, uint32_t> vouchers_numbered;
  uint32_t next_queue = 0;
  Words* out = nullptr;
  struct Note {
    uint64_t application;
    std::string recipient;
    fb::NotificationKind kind;
    messages::Text text;
  };
  std::vector<Note> notes;
  // The posted message templates: also in message_templates, as a portal's texts would be.
  messages::TemplateBook book;

  ~Impl() {
    if (conn != nullptr) PQfinish(conn);
  }

  uint64_t statements = 0;  // round trips to the server

  PGresult* Raw(const char* name, Params& p) {
    ++statements;
    p.Finish();
    PGresult* r = PQexecPrepared(conn, name, p.size(), p.pointers(), p.lengths(), p.formats(), 0);
    const auto status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const std::string message = fmt::format("{}: {}", name, PQresultErrorMessage(r));
      PQclear(r);
      throw DbError(message);
    }
    return r;
  }
  Result Query(const char* name, Params p) { return Result(Raw(name, p)); }
  void Exec(const char* name, Params p) { PQclear(Raw(name, p)); }
  void Simple(const char* sql) {
    ++statements;
    PGresult* r = PQexec(conn, sql);
    const auto status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const std::string message = fmt::format("{}: {}", sql, PQresultErrorMessage(r));
      PQclear(r);
      throw DbError(message);
    }
    PQclear(r);
  }

  // --- decisions --------------------------------------------------------------------------
  template <typename... W>
  void Decide(fb::DecisionBody tag, W... words) {
    out->push_back(static_cast<uint64_t>(tag));
    out->push_back(sizeof...(words));
    (out->push_back(static_cast<uint64_t>(words)), ...);
  }
  // Saves the application, then decides `tag` with its id, the given words and its new deadline.
  template <typename... W>
  void SaveAndDecideDeadline(const App& a, fb::DecisionBody tag, W... words) {
    Save(a);
    Decide(tag, a.id, words..., a.deadline_at, civil::ToYyyymmdd(LocalDate{a.deadline_date}));
  }
  void Notify(const App& app, fb::NotificationKind kind, const messages::Message& message) {
    Decide(fb::DecisionBody::Notification, app.id, kind);
    notes.push_back(Note{app.id, FormatIin(Iin{app.applicant}), kind, book.Reword(book.latest(), kind, message)});
  }

  // --- reference data -----------------------------------------------------------------------
  const PriorityPolicy& PolicyOf(uint32_t locality) const {
    static const PriorityPolicy kBuiltIn{{Tier{"general", {"general"}, true}}, Ratio{}};
    auto it = policies.find(locality);
    if (it == policies.end()) it = policies.find(0);
    return it == policies.end() ? kBuiltIn : it->second;
  }
  LocalDate LocalDateOf(uint32_t locality, int64_t at) const {
    return offsets.LocalDateOf(LocalityId{locality}, InstantMs{at});
  }
  bool LocalityExists(uint32_t locality) { return !Query("locality_get", Params().Int(locality)).empty(); }

  // --- applications -------------------------------------------------------------------------
  std::optional<App> Load(uint64_t id) {
    const Result r = Query("app_get", Params().Int(static_cast<int64_t>(id)));
    if (r.empty()) return std::nullopt;
    App a;
    a.id = static_cast<uint64_t>(r.Int(0, 0));
    a.child = static_cast<uint64_t>(r.Int(0, 1));
    a.applicant = static_cast<uint64_t>(r.Int(0, 2));
    a.child_name = r.Text(0, 3);
    a.birth_date = static_cast<int32_t>(r.Int(0, 4));
    a.filed_at = r.Int(0, 5);
    a.school_age_at = r.Int(0, 6);
    a.locality = static_cast<uint32_t>(r.Int(0, 7));
    a.queue = static_cast<uint32_t>(r.Int(0, 8));
    a.category = r.Text(0, 9);
    a.tier = static_cast<uint8_t>(r.Int(0, 10));
    a.line = static_cast<Line>(r.Int(0, 11));
    a.type = static_cast<fb::QueueType>(r.Int(0, 12));
    a.language = static_cast<fb::Language>(r.Int(0, 13));
    a.correction = static_cast<fb::CorrectionType>(r.Int(0, 14));
    a.kindergarten = static_cast<uint32_t>(r.Int(0, 15));
    a.conclusion = r.Text(0, 16);
    a.status = static_cast<Status>(r.Int(0, 17));
    a.archive_reason = static_cast<fb::ArchiveReason>(r.Int(0, 18));
    a.annulled_by_deadline = r.Bool(0, 19);
    a.extension_used = r.Bool(0, 20);
    a.voucher = static_cast<uint64_t>(r.Int(0, 21));
    a.group = static_cast<uint32_t>(r.Int(0, 22));
    a.contract_number = r.Text(0, 23);
    a.parent_sha = r.Text(0, 24);
    a.kg_sha = r.Text(0, 25);
    a.deadline = static_cast<fb::DeadlineKind>(r.Int(0, 26));
    a.deadline_at = r.Int(0, 27);
    a.deadline_date = static_cast<int32_t>(r.Int(0, 28));
    return a;
  }
  // The columns an action may change, in the order both statements below take them.
  static Params& Changeable(Params& p, const App& a) {
    return p.Int(static_cast<int>(a.status))
        .Int(static_cast<int>(a.archive_reason))
        .Bool(a.annulled_by_deadline)
        .Bool(a.extension_used)
        .Int(static_cast<int64_t>(a.voucher))
        .Int(a.group)
        .Text(a.contract_number)
        .Text(a.parent_sha)
        .Text(a.kg_sha)
        .Int(static_cast<int>(a.deadline))
        .Int(a.deadline_at)
        .Int(a.deadline_date);
  }
  void Save(const App& a) {
    Params p;
    p.Int(static_cast<int64_t>(a.id)).Int(a.tier).Int(static_cast<int>(a.line));
    Exec("app_set", std::move(Changeable(p, a)));
  }
  void Insert(const App& a) {
    Params p;
    p.Int(static_cast<int64_t>(a.id))
        .Int(static_cast<int64_t>(a.child))
        .Int(static_cast<int64_t>(a.applicant))
        .Text(a.child_name)
        .Int(a.birth_date)
        .Int(a.filed_at)
        .Int(a.school_age_at)
        .Int(a.locality)
        .Int(a.queue)
        .Text(a.category)
        .Int(a.tier)
        .Int(static_cast<int>(a.line))
        .Int(static_cast<int>(a.type))
        .Int(static_cast<int>(a.language))
        .Int(static_cast<int>(a.correction))
        .Int(a.kindergarten)
        .Text(a.conclusion);
    Exec("app_put", std::move(Changeable(p, a)));
  }
  App Find(const fb::Actor& actor, uint64_t id) {
    std::optional<App> app = Load(id);
    if (!app) throw Rejected{Code::UnknownApplication};
    if (actor.role() == fb::Role::Portal) {
      const auto parsed = actor.iin() ? ParseIin(actor.iin()->string_view()) : std::variant<IinInfo, IinError>{};
      const auto* info = std::get_if<IinInfo>(&parsed);
      if (info == nullptr || info->iin.value != app->applicant) throw Rejected{Code::ApplicantMismatch};
    }
    return *app;
  }

  // --- deadlines ----------------------------------------------------------------------------
  void DeadlineAfterDate(App& a, fb::DeadlineKind kind, LocalDate date, int n) {
    const LocalDate due =
        calendar.NthWorkingDayAfter(date, n).value_or(LocalDate{date.value + limits::kWorkingDaySearchMax});
    a.deadline = kind;
    a.deadline_date = due.value;
    a.deadline_at = offsets.EndOfLocalDay(LocalityId{a.locality}, due).value;
  }
  void WorkingDayDeadline(App& a, fb::DeadlineKind kind, int64_t from, int n) {
    DeadlineAfterDate(a, kind, LocalDateOf(a.locality, from), n);
  }
  static void ClearDeadline(App& a) {
    a.deadline = fb::DeadlineKind::None;
    a.deadline_at = 0;
    a.deadline_date = 0;
  }
  int64_t SchoolAgeAt(uint32_t locality, LocalDate birth_date) const {
    const civil::Ymd birth = civil::ToYmd(birth_date);
    const bool six_by_september = birth.month < 9 || (birth.month == 9 && birth.day == 1);
    const int year = birth.year + limits::kSchoolAgeYears + (six_by_september ? 0 : 1);
    return offsets.StartOfLocalDay(LocalityId{locality}, civil::FromYmd({year, 9, 1})).value;
  }

  // --- queues -------------------------------------------------------------------------------
  uint32_t QueueFor(uint32_t locality, fb::QueueType type, int birth_year, fb::Language language,
                    fb::CorrectionType correction) {
    const Result r = Query("queue_find", Params()
                                             .Int(locality)
                                             .Int(static_cast<int>(type))
                                             .Int(birth_year)
                                             .Int(static_cast<int>(language))
                                             .Int(static_cast<int>(correction)));
    if (!r.empty()) return static_cast<uint32_t>(r.Int(0, 0));
    const uint32_t id = next_queue++;
    Exec("queue_put", Params()
                          .Int(id)
                          .Int(locality)
                          .Int(static_cast<int>(type))
                          .Int(birth_year)
                          .Int(static_cast<int>(language))
                          .Int(static_cast<int>(correction)));
    return id;
  }
  uint64_t LineSize(uint32_t queue, Line line) {
    return static_cast<uint64_t>(Query("line_size", Params().Int(queue).Int(static_cast<int>(line))).Int(0, 0));
  }
  // The ranking query, then the ratio's interleaving of the two lines.
  uint64_t Position(const App& a) {
    const uint64_t rank = static_cast<uint64_t>(Query("rank", Params()
                                                                  .Int(a.queue)
                                                                  .Int(static_cast<int>(a.line))
                                                                  .Int(a.tier)
                                                                  .Int(a.filed_at)
                                                                  .Int(static_cast<int64_t>(a.id)))
                                                      .Int(0, 0)) +
                          1;
    const Result q = Query("queue_get", Params().Int(a.queue));
    const Ratio ratio = PolicyOf(static_cast<uint32_t>(q.Int(0, 0))).ratio;
    const Line other = a.line == Line::Priority ? Line::General : Line::Priority;
    // The other line's size matters only to the general line, or under a ratio.
    const bool need_other = ratio.active() || a.line == Line::General;
    return Queue::PlaceInIssueOrder(rank, a.line, need_other ? LineSize(a.queue, other) : 0, ratio,
                                    static_cast<uint32_t>(q.Int(0, 1)));
  }
  // While timers fire, the queues to issue once every due timer has fired (engine/deadlines.cc).
  std::vector<uint32_t>* deferred_issues = nullptr;
  void IssueVouchers(uint32_t queue, int64_t at) {
    if (deferred_issues != nullptr) {
      deferred_issues->push_back(queue);
      return;
    }
    const Result q = Query("queue_get", Params().Int(queue));
    const Ratio ratio = PolicyOf(static_cast<uint32_t>(q.Int(0, 0))).ratio;
    uint32_t cycle = static_cast<uint32_t>(q.Int(0, 1));
    const uint32_t length = uint32_t{ratio.priority} + ratio.general;
    for (;;) {
      const Result free = Query("voucher_free", Params().Int(queue));
      if (free.empty()) break;
      Line line = Queue::TurnOf(cycle, ratio);
      uint64_t head = 0;
      {
        const Result first = Query("head", Params().Int(queue).Int(static_cast<int>(line)));
        if (!first.empty()) head = static_cast<uint64_t>(first.Int(0, 0));
      }
      if (head == 0) {  // that line is empty: the slot goes to the other
        line = line == Line::Priority ? Line::General : Line::Priority;
        const Result other = Query("head", Params().Int(queue).Int(static_cast<int>(line)));
        if (other.empty()) break;
        head = static_cast<uint64_t>(other.Int(0, 0));
      }
      Grant(head, static_cast<uint64_t>(free.Int(0, 0)), at);
      if (ratio.active()) {
        cycle = (cycle + 1) % length;
        Exec("queue_cycle", Params().Int(queue).Int(cycle));
      }
    }
  }
  void Grant(uint64_t application, uint64_t voucher, int64_t at) {
    App a = *Load(application);
    Exec("voucher_set", Params()
                            .Int(static_cast<int64_t>(voucher))
                            .Int(static_cast<int>(VoucherState::Held))
                            .Int(static_cast<int64_t>(a.id)));
    a.voucher = voucher;
    a.status = Status::VoucherIssued;
    a.annulled_by_deadline = false;
    WorkingDayDeadline(a, fb::DeadlineKind::Interest, at, limits::kInterestWorkingDays);
    SaveAndDecideDeadline(a, fb::DecisionBody::VoucherIssued, a.voucher);
    Notify(a, fb::NotificationKind::VoucherIssued,
           messages::VoucherIssued(a.child_name, LocalDate{a.deadline_date}));
  }

  void EnterQueue(App& a, int64_t at, fb::NotificationKind kind) {
    a.status = Status::InQueue;
    ClearDeadline(a);
    Save(a);
    const uint64_t position = Position(a);
    if (kind == fb::NotificationKind::ReturnedToQueue) {
      Decide(fb::DecisionBody::ReturnedToQueue, a.id, position);
      Notify(a, kind, messages::ReturnedToQueue(position));
    } else {
      Decide(fb::DecisionBody::EnteredQueue, a.id, position);
      Notify(a, kind,
             kind == fb::NotificationKind::ApplicationAccepted ? messages::ApplicationAccepted(position)
                                                               : messages::DocumentsConfirmed(position));
    }
    IssueVouchers(a.queue, at);
  }

  void ReleaseVoucher(App& a, fb::AnnulReason reason) {
    if (a.group != 0) {
      Exec("group_taken", Params().Int(a.group).Int(-1));
      a.group = 0;
    }
    Exec("voucher_set", Params().Int(static_cast<int64_t>(a.voucher)).Int(static_cast<int>(VoucherState::Free)).Int(0));
    Decide(fb::DecisionBody::VoucherAnnulled, a.id, a.voucher, reason);
    Notify(a, fb::NotificationKind::VoucherAnnulled, messages::VoucherAnnulled(reason));
    a.voucher = 0;
    a.extension_used = false;
    a.contract_number.clear();
    a.parent_sha.clear();
  }

  // `voucher_used`: the enrolled application's (its voucher is used, not released).
  void Archive(App& a, fb::ArchiveReason reason, int64_t at, bool voucher_used = false) {
    const bool had_voucher = a.voucher != 0 && !voucher_used;
    if (had_voucher) {
      const fb::AnnulReason annul = reason == fb::ArchiveReason::Declined            ? fb::AnnulReason::Declined
                                    : reason == fb::ArchiveReason::NotEnrolledInTime ? fb::AnnulReason::NotEnrolledInTime
                                    : reason == fb::ArchiveReason::SchoolAge         ? fb::AnnulReason::SchoolAge
                                                                                     : fb::AnnulReason::Withdrawn;
      ReleaseVoucher(a, annul);
    }
    ClearDeadline(a);
    a.status = Status::Archived;
    a.archive_reason = reason;
    Save(a);
    Decide(fb::DecisionBody::Archived, a.id, reason);
    Notify(a, fb::NotificationKind::Archived, messages::Archived(reason));
    if (had_voucher) IssueVouchers(a.queue, at);
  }

  // Fires every deadline and school age due at or before `until`, earliest first.
  void ExpireDue(int64_t until) {
    std::vector<uint32_t> deferred;
    deferred_issues = &deferred;
    for (;;) {
      const Result r = Query("due", Params().Int(until));
      if (r.empty()) break;
      App a = *Load(static_cast<uint64_t>(r.Int(0, 0)));
      const int64_t at = r.Int(0, 1);
      // Each fires at its own instant `at`; a deadline it sets for anyone counts from `until`.
      if (r.Int(0, 2) == 1 && a.status == Status::Archived) {  // an enrolled child goes to school
        FreePlace(a);
        continue;
      }
      if (r.Int(0, 2) == 1) {
        Archive(a, fb::ArchiveReason::SchoolAge, until);
        continue;
      }
      switch (a.deadline) {
        case fb::DeadlineKind::Interest: {
          const uint32_t queue = a.queue;
          ReleaseVoucher(a, fb::AnnulReason::InterestNotConfirmed);
          a.status = Status::StopListed;
          a.annulled_by_deadline = true;
          const LocalDate today = LocalDateOf(a.locality, at);
          a.deadline = fb::DeadlineKind::StopList;
          a.deadline_at =
              offsets.StartOfLocalDay(LocalityId{a.locality}, LocalDate{today.value + limits::kStopListDays}).value;
          a.deadline_date = LocalDateOf(a.locality, a.deadline_at).value;
          Save(a);
          Decide(fb::DecisionBody::StopListed, a.id, a.deadline_at);
          if (a.deadline_at > until) {  // a return already due is told as a return, not as a date gone
            Notify(a, fb::NotificationKind::StopListed, messages::StopListed(LocalDate{a.deadline_date}));
          }
          IssueVouchers(queue, until);
          break;
        }
        case fb::DeadlineKind::Enrollment:
        case fb::DeadlineKind::ParentSignature:
          a.annulled_by_deadline = true;
          Archive(a, fb::ArchiveReason::NotEnrolledInTime, until);
          break;
        case fb::DeadlineKind::KindergartenSignature:
          Exec("group_taken", Params().Int(a.group).Int(-1));
          a.group = 0;
          a.contract_number.clear();
          a.parent_sha.clear();
          a.status = Status::VoucherInUse;
          WorkingDayDeadline(a, fb::DeadlineKind::Enrollment, until, limits::kEnrollmentWorkingDays);
          SaveAndDecideDeadline(a, fb::DecisionBody::EnrollmentRequestLapsed);
          Notify(a, fb::NotificationKind::InterestConfirmed, messages::InterestConfirmed(LocalDate{a.deadline_date}));
          break;
        case fb::DeadlineKind::StopList:
          a.annulled_by_deadline = false;
          EnterQueue(a, until, fb::NotificationKind::ReturnedToQueue);
          break;
        case fb::DeadlineKind::None:
          deferred_issues = nullptr;
          throw DbError(fmt::format("application {} is due without a deadline", a.id));
      }
    }
    deferred_issues = nullptr;
    std::sort(deferred.begin(), deferred.end());
    deferred.erase(std::unique(deferred.begin(), deferred.end()), deferred.end());
    for (const uint32_t queue : deferred) IssueVouchers(queue, until);
  }

  // --- actions ------------------------------------------------------------------------------
  void File(int64_t at, int64_t stamped, const fb::Actor& actor, const fb::FileApplication& f) {
    const int64_t filed_at = rules::RankingInstant(InstantMs{at}, InstantMs{stamped}).value;
    const IinInfo applicant = CheckIin(actor.iin());
    const IinInfo child = CheckIin(f.child_iin());
    CheckText(f.child_name(), true);
    CheckText(f.priority_category(), true);
    if (!fb::EnumNameQueueType(f.queue_type())[0] || !fb::EnumNameLanguage(f.language())[0] ||
        !fb::EnumNameFinancing(f.financing())[0] || !fb::EnumNameCorrectionType(f.correction_type())[0]) {
      throw Rejected{Code::InvalidField};
    }
    if (!LocalityExists(f.locality())) throw Rejected{Code::UnknownLocality};
    if (child.birth_date > LocalDateOf(f.locality(), filed_at)) throw Rejected{Code::IinBornInFuture};
    const int64_t school_age_at = SchoolAgeAt(f.locality(), child.birth_date);
    if (school_age_at <= at) throw Rejected{Code::ChildOfSchoolAge};
    const auto place = PlaceOf(PolicyOf(f.locality()), f.priority_category()->string_view());
    if (!place) throw Rejected{Code::UnknownPriorityCategory};
    if (f.queue_type() == fb::QueueType::Special) {
      if (f.correction_type() == fb::CorrectionType::None) throw Rejected{Code::MissingField};
      CheckText(f.conclusion_document(), true);
      const Result k = Query("kindergarten_get", Params().Int(f.kindergarten()));
      if (k.empty()) throw Rejected{Code::UnknownKindergarten};
      if (k.Int(0, 0) != f.locality()) throw Rejected{Code::InvalidField};
      if (Query("kindergarten_serves", Params().Int(f.kindergarten()).Int(static_cast<int>(f.correction_type())))
              .empty()) {
        throw Rejected{Code::CorrectionTypeNotServed};
      }
    } else if (f.correction_type() != fb::CorrectionType::None) {
      throw Rejected{Code::InvalidField};
    }
    const Result active = Query("active_of_child", Params().Int(static_cast<int64_t>(child.iin.value)));
    for (int i = 0; i < active.rows(); ++i) {
      if (active.Int(i, 1) == static_cast<int>(f.queue_type())) throw Rejected{Code::DuplicateActiveApplication};
    }
    if (!Query("place_of_child", Params().Int(static_cast<int64_t>(child.iin.value))).empty()) {
      throw Rejected{Code::ChildHoldsPlace};
    }

    uint32_t& numbered = applications_numbered[f.locality()];
    if (numbered + uint64_t{1} >= limits::kSerialsPerLocality) throw Rejected{Code::LimitExceeded};
    App a;
    a.id = NumberOf(LocalityId{f.locality()}, ++numbered);
    a.child = child.iin.value;
    a.applicant = applicant.iin.value;
    a.child_name = f.child_name()->str();
    a.birth_date = child.birth_date.value;
    a.filed_at = filed_at;
    a.school_age_at = school_age_at;
    a.locality = f.locality();
    a.queue = QueueFor(a.locality, f.queue_type(), civil::ToYmd(child.birth_date).year, f.language(),
                       f.correction_type());
    a.category = f.priority_category()->str();
    a.tier = place->tier;
    a.line = place->line;
    a.type = f.queue_type();
    a.language = f.language();
    a.correction = f.correction_type();
    a.kindergarten = f.kindergarten();
    if (f.conclusion_document()) a.conclusion = f.conclusion_document()->str();
    a.status = Status::AwaitingDocuments;
    Insert(a);
    Decide(fb::DecisionBody::ApplicationAccepted, a.id, a.type, a.filed_at, stamped);
    if (a.type == fb::QueueType::General) {
      EnterQueue(a, at, fb::NotificationKind::ApplicationAccepted);
    } else {
      Decide(fb::DecisionBody::AwaitingDocuments, a.id);
      Notify(a, fb::NotificationKind::AwaitingDocuments, messages::AwaitingDocuments());
    }
  }

  static void CheckStatus(const App& a, Status wanted) {
    if (a.status == wanted) return;
    if (a.status == Status::Archived && a.archive_reason == fb::ArchiveReason::NotEnrolledInTime) {
      throw Rejected{Code::AnswerAfterDeadline};
    }
    throw Rejected{Code::TransitionNotAllowed};
  }

  // The engine's rules::ReanchorTimers: deadlines keep their dates, at the new timeline's instants.
  void ReanchorTimers(uint32_t posted) {
    const Result ids = Query("apps_with_timers", Params());
    for (int i = 0; i < ids.rows(); ++i) {
      App a = *Load(static_cast<uint64_t>(ids.Int(i, 0)));
      if (posted == 0 ? offsets.entries().contains(LocalityId{a.locality}) : a.locality != posted) continue;
      const int64_t school_age = SchoolAgeAt(a.locality, LocalDate{a.birth_date});
      if (school_age != a.school_age_at && school_age > now) {
        Exec("app_school_age_set", Params().Int(static_cast<int64_t>(a.id)).Int(school_age));
      }
      if (a.status == Status::Archived || a.deadline == fb::DeadlineKind::None) continue;
      const LocalDate date{a.deadline_date};
      const int64_t at = a.deadline == fb::DeadlineKind::StopList
                             ? offsets.StartOfLocalDay(LocalityId{a.locality}, date).value
                             : offsets.EndOfLocalDay(LocalityId{a.locality}, date).value;
      if (at == a.deadline_at || at <= now) continue;
      a.deadline_at = at;
      SaveAndDecideDeadline(a, fb::DecisionBody::DeadlineMoved);
    }
  }

  // An enrolled child's place, free for the next child (at school age, or when staff archive it).
  void FreePlace(App a) {
    const uint32_t kindergarten = KindergartenOfGroup(a.group);
    Exec("group_taken", Params().Int(a.group).Int(-1));
    Decide(fb::DecisionBody::PlaceFreed, a.id, kindergarten, a.group);
    a.group = 0;
    Save(a);
  }

  // A child holds one place: not a second one through its other application.
  void CheckHoldsNoPlace(const App& a) {
    const Result place = Query("place_of_child", Params().Int(static_cast<int64_t>(a.child)));
    if (!place.empty() && static_cast<uint64_t>(place.Int(0, 0)) != a.id) throw Rejected{Code::ChildHoldsPlace};
  }

  uint32_t KindergartenOfGroup(uint32_t group) {
    return static_cast<uint32_t>(Query("group_get", Params().Int(group)).Int(0, 0));
  }

  void Dispatch(const fb::Action& action, int64_t at) {
    const fb::Actor& actor = *action.actor();
    switch (action.body_type()) {
      case fb::ActionBody::FileApplication:
        File(at, action.instant_ms(), actor, *action.body_as_FileApplication());
        return;
      case fb::ActionBody::ConfirmDocuments: {
        App a = Find(actor, action.body_as_ConfirmDocuments()->application());
        if (a.status != Status::AwaitingDocuments) throw Rejected{Code::TransitionNotAllowed};
        EnterQueue(a, at, fb::NotificationKind::DocumentsConfirmed);
        return;
      }
      case fb::ActionBody::RejectDocuments: {
        const auto* b = action.body_as_RejectDocuments();
        CheckText(actor.name(), true);
        CheckText(b->reason(), false);
        App a = Find(actor, b->application());
        if (a.status != Status::AwaitingDocuments) throw Rejected{Code::TransitionNotAllowed};
        Decide(fb::DecisionBody::DocumentsRejected, a.id);
        Notify(a, fb::NotificationKind::DocumentsRejected, messages::DocumentsRejected(actor.name()->string_view()));
        Archive(a, fb::ArchiveReason::DocumentsRejected, at);
        return;
      }
      case fb::ActionBody::Withdraw: {
        App a = Find(actor, action.body_as_Withdraw()->application());
        if (a.status == Status::Archived) throw Rejected{Code::TransitionNotAllowed};
        Archive(a, fb::ArchiveReason::Withdrawn, at);
        return;
      }
      case fb::ActionBody::AllocateVouchers: Allocate(at, *action.body_as_AllocateVouchers()); return;
      case fb::ActionBody::AnswerInterest: {
        const auto* b = action.body_as_AnswerInterest();
        App a = Find(actor, b->application());
        if (a.status != Status::VoucherIssued) {
          if (a.status == Status::StopListed && a.annulled_by_deadline) throw Rejected{Code::AnswerAfterDeadline};
          throw Rejected{Code::TransitionNotAllowed};
        }
        if (!b->interested()) {
          Archive(a, fb::ArchiveReason::Declined, at);
          return;
        }
        a.status = Status::VoucherInUse;
        Exec("voucher_set", Params()
                                .Int(static_cast<int64_t>(a.voucher))
                                .Int(static_cast<int>(VoucherState::InUse))
                                .Int(static_cast<int64_t>(a.id)));
        WorkingDayDeadline(a, fb::DeadlineKind::Enrollment, at, limits::kEnrollmentWorkingDays);
        SaveAndDecideDeadline(a, fb::DecisionBody::InterestConfirmed, a.voucher);
        Notify(a, fb::NotificationKind::InterestConfirmed, messages::InterestConfirmed(LocalDate{a.deadline_date}));
        return;
      }
      case fb::ActionBody::ExtendVoucher: {
        App a = Find(actor, action.body_as_ExtendVoucher()->application());
        const bool using_voucher = a.status == Status::VoucherInUse || a.status == Status::AwaitingContract;
        if (!using_voucher || a.deadline != fb::DeadlineKind::Enrollment) {
          if (a.status == Status::Archived && a.archive_reason == fb::ArchiveReason::NotEnrolledInTime) {
            throw Rejected{Code::AnswerAfterDeadline};
          }
          throw Rejected{Code::TransitionNotAllowed};
        }
        if (a.extension_used) throw Rejected{Code::ExtensionAlreadyUsed};
        if (LocalDateOf(a.locality, at).value != a.deadline_date) throw Rejected{Code::ExtensionNotOnFifthDay};
        a.extension_used = true;
        DeadlineAfterDate(a, fb::DeadlineKind::Enrollment, LocalDate{a.deadline_date}, limits::kExtensionWorkingDays);
        SaveAndDecideDeadline(a, fb::DecisionBody::ExtensionGranted);
        Notify(a, fb::NotificationKind::ExtensionGranted, messages::ExtensionGranted(LocalDate{a.deadline_date}));
        return;
      }
      case fb::ActionBody::ChooseKindergarten: {
        const auto* b = action.body_as_ChooseKindergarten();
        App a = Find(actor, b->application());
        CheckStatus(a, Status::VoucherInUse);
        const Result g = Query("group_get", Params().Int(b->group()));
        if (g.empty()) throw Rejected{Code::UnknownGroup};
        if (g.Int(0, 7) != a.locality) throw Rejected{Code::GroupNotSuitable};
        if (g.Int(0, 1) != static_cast<int>(a.language)) throw Rejected{Code::GroupNotSuitable};
        const int age = rules::AgeOnFirstSeptember(LocalDate{a.birth_date}, LocalDateOf(a.locality, at));
        if (age < g.Int(0, 2) || age > g.Int(0, 3)) throw Rejected{Code::GroupNotSuitable};
        if (g.Int(0, 4) != static_cast<int>(a.correction)) throw Rejected{Code::CorrectionTypeNotServed};
        CheckHoldsNoPlace(a);
        if (g.Int(0, 6) >= g.Int(0, 5)) throw Rejected{Code::NoFreePlace};
        Exec("group_taken", Params().Int(b->group()).Int(1));
        a.group = b->group();
        a.status = Status::AwaitingContract;
        Save(a);
        Decide(fb::DecisionBody::EnrollmentRequested, a.id, g.Int(0, 0), a.group);
        Notify(a, fb::NotificationKind::AwaitingContract, messages::AwaitingContract());
        return;
      }
      case fb::ActionBody::SendContract: {
        const auto* b = action.body_as_SendContract();
        App a = Find(actor, b->application());
        CheckStatus(a, Status::AwaitingContract);
        if (KindergartenOfGroup(a.group) != actor.kindergarten()) throw Rejected{Code::KindergartenMismatch};
        CheckText(b->contract_number(), true);
        a.status = Status::ContractSent;
        a.contract_number = b->contract_number()->str();
        WorkingDayDeadline(a, fb::DeadlineKind::ParentSignature, at, limits::kSignatureWorkingDays);
        SaveAndDecideDeadline(a, fb::DecisionBody::ContractSent);
        Notify(a, fb::NotificationKind::ContractSent, messages::ContractSent(LocalDate{a.deadline_date}));
        return;
      }
      case fb::ActionBody::ParentSigns: {
        const auto* b = action.body_as_ParentSigns();
        App a = Find(actor, b->application());
        CheckStatus(a, Status::ContractSent);
        CheckDigest(b->document_sha256());
        a.status = Status::ParentSigned;
        a.parent_sha = b->document_sha256()->str();
        WorkingDayDeadline(a, fb::DeadlineKind::KindergartenSignature, at, limits::kSignatureWorkingDays);
        SaveAndDecideDeadline(a, fb::DecisionBody::ParentSigned);
        return;
      }
      case fb::ActionBody::KindergartenSigns: {
        const auto* b = action.body_as_KindergartenSigns();
        App a = Find(actor, b->application());
        CheckStatus(a, Status::ParentSigned);
        const uint32_t kindergarten = KindergartenOfGroup(a.group);
        if (kindergarten != actor.kindergarten()) throw Rejected{Code::KindergartenMismatch};
        CheckDigest(b->document_sha256());
        CheckHoldsNoPlace(a);
        a.kg_sha = b->document_sha256()->str();
        Exec("voucher_set", Params()
                                .Int(static_cast<int64_t>(a.voucher))
                                .Int(static_cast<int>(VoucherState::Used))
                                .Int(static_cast<int64_t>(a.id)));
        const Result k = Query("kindergarten_get", Params().Int(kindergarten));
        Decide(fb::DecisionBody::Enrolled, a.id, kindergarten, a.group, a.voucher);
        Notify(a, fb::NotificationKind::Enrolled, messages::Enrolled(k.Text(0, 1), k.Text(0, 2)));
        Archive(a, fb::ArchiveReason::Enrolled, at, /*voucher_used=*/true);
        const Result others = Query("active_of_child", Params().Int(static_cast<int64_t>(a.child)));
        for (int i = 0; i < others.rows(); ++i) {
          App other = *Load(static_cast<uint64_t>(others.Int(i, 0)));
          Archive(other, fb::ArchiveReason::Withdrawn, at);
        }
        return;
      }
      case fb::ActionBody::UpsertLocality: {
        const auto* b = action.body_as_UpsertLocality();
        if (b->locality() == 0) throw Rejected{Code::InvalidField};
        CheckText(b->name_ru(), true);
        CheckText(b->name_kk(), true);
        CheckText(b->region_code(), false);
        Exec("locality_put", Params()
                                 .Int(b->locality())
                                 .Text(b->name_ru()->string_view())
                                 .Text(b->name_kk()->string_view())
                                 .Text(b->region_code() ? b->region_code()->string_view() : ""));
        return;
      }
      case fb::ActionBody::SetUtcOffset: {
        const auto* b = action.body_as_SetUtcOffset();
        if (b->locality() != 0 && !LocalityExists(b->locality())) throw Rejected{Code::UnknownLocality};
        if (b->offset_minutes() < limits::kUtcOffsetMinutesMin || b->offset_minutes() > limits::kUtcOffsetMinutesMax) {
          throw Rejected{Code::InvalidField};
        }
        if (b->effective_from_ms() < limits::kInstantMsMin || b->effective_from_ms() > limits::kInstantMsMax) {
          throw Rejected{Code::InvalidField};
        }
        Exec("offset_put", Params().Int(b->locality()).Int(b->effective_from_ms()).Int(b->offset_minutes()));
        offsets.Set(LocalityId{b->locality()}, InstantMs{b->effective_from_ms()}, b->offset_minutes());
        ReanchorTimers(b->locality());
        return;
      }
      case fb::ActionBody::UpsertKindergarten: {
        const auto* b = action.body_as_UpsertKindergarten();
        if (b->kindergarten() == 0) throw Rejected{Code::InvalidField};
        if (!LocalityExists(b->locality())) throw Rejected{Code::UnknownLocality};
        CheckText(b->name_ru(), true);
        CheckText(b->name_kk(), true);
        const Result k = Query("kindergarten_get", Params().Int(b->kindergarten()));
        if (!k.empty() && k.Int(0, 0) != b->locality()) throw Rejected{Code::InvalidField};
        Exec("kindergarten_put", Params()
                                     .Int(b->kindergarten())
                                     .Int(b->locality())
                                     .Text(b->name_ru()->string_view())
                                     .Text(b->name_kk()->string_view()));
        return;
      }
      case fb::ActionBody::UpsertGroup: {
        const auto* b = action.body_as_UpsertGroup();
        if (b->group() == 0) throw Rejected{Code::InvalidField};
        if (Query("kindergarten_get", Params().Int(b->kindergarten())).empty()) throw Rejected{Code::UnknownKindergarten};
        if (!fb::EnumNameLanguage(b->language())[0] || !fb::EnumNameCorrectionType(b->correction_type())[0]) {
          throw Rejected{Code::InvalidField};
        }
        if (b->min_age_years() > b->max_age_years() || b->max_age_years() > limits::kMaxAgeAtFilingYears) {
          throw Rejected{Code::InvalidField};
        }
        if (b->capacity() > limits::kGroupCapacityMax) throw Rejected{Code::LimitExceeded};
        const Result g = Query("group_get", Params().Int(b->group()));
        if (!g.empty() && g.Int(0, 6) > 0 && g.Int(0, 0) != b->kindergarten()) throw Rejected{Code::InvalidField};
        Exec("group_put", Params()
                              .Int(b->group())
                              .Int(b->kindergarten())
                              .Int(static_cast<int>(b->language()))
                              .Int(b->min_age_years())
                              .Int(b->max_age_years())
                              .Int(static_cast<int>(b->correction_type()))
                              .Int(b->capacity()));
        return;
      }
      case fb::ActionBody::UpdateCalendar: UpdateCalendar(*action.body_as_UpdateCalendar()); return;
      case fb::ActionBody::SetPriorityPolicy: SetPolicy(*action.body_as_SetPriorityPolicy()); return;
      case fb::ActionBody::ArchiveChild: {
        const auto* b = action.body_as_ArchiveChild();
        const IinInfo child = CheckIin(b->child_iin());
        if (b->reason() != fb::ArchiveReason::SchoolAge && b->reason() != fb::ArchiveReason::Withdrawn) {
          throw Rejected{Code::InvalidField};
        }
        const int64_t iin = static_cast<int64_t>(child.iin.value);
        if (Query("child_known", Params().Int(iin)).empty()) throw Rejected{Code::UnknownChild};
        const Result active = Query("active_of_child", Params().Int(iin));
        const Result place = Query("place_of_child", Params().Int(iin));
        if (active.empty() && place.empty()) throw Rejected{Code::TransitionNotAllowed};
        for (int i = 0; i < active.rows(); ++i) {
          App a = *Load(static_cast<uint64_t>(active.Int(i, 0)));
          Archive(a, b->reason(), at);
        }
        if (!place.empty()) FreePlace(*Load(static_cast<uint64_t>(place.Int(0, 0))));
        return;
      }
      case fb::ActionBody::SetMessageTemplates: {
        const auto* b = action.body_as_SetMessageTemplates();
        if (auto v = rules::CheckTemplates(*b)) throw Rejected{v->code};
        const auto version = static_cast<int64_t>(book.latest() + 1);
        for (const fb::MessageTemplate* t : *b->templates()) {
          Exec("template_put", Params().Int(version).Int(static_cast<int64_t>(t->kind())).Int(t->variant())
                                   .Text(t->ru()->string_view()).Text(t->kk()->string_view()));
        }
        book.Post(*b);
        Decide(fb::DecisionBody::MessageTemplatesSet, book.latest());
        return;
      }
      case fb::ActionBody::ClockTick: return;
      case fb::ActionBody::NONE: break;
    }
    throw Rejected{Code::UnknownActionKind};
  }

  void Allocate(int64_t at, const fb::AllocateVouchers& b) {
    if (!LocalityExists(b.locality())) throw Rejected{Code::UnknownLocality};
    if (b.count() == 0) throw Rejected{Code::InvalidField};
    if (b.count() > limits::kVouchersPerAllocationMax) throw Rejected{Code::LimitExceeded};
    if (!fb::EnumNameQueueType(b.queue_type())[0] || !fb::EnumNameLanguage(b.language())[0] ||
        !fb::EnumNameCorrectionType(b.correction_type())[0]) {
      throw Rejected{Code::InvalidField};
    }
    if ((b.queue_type() == fb::QueueType::Special) != (b.correction_type() != fb::CorrectionType::None)) {
      throw Rejected{Code::InvalidField};
    }
    const int year = civil::ToYmd(LocalDateOf(b.locality(), at)).year;
    if (b.birth_year() + limits::kMaxAgeAtFilingYears + 1 < year || b.birth_year() > year) {
      throw Rejected{Code::InvalidField};
    }
    if (at >= SchoolAgeAt(b.locality(), civil::FromYmd({b.birth_year(), 12, 31}))) throw Rejected{Code::InvalidField};
    uint32_t& numbered = vouchers_numbered[b.locality()];
    if (numbered + uint64_t{b.count()} >= limits::kSerialsPerLocality) throw Rejected{Code::LimitExceeded};
    const uint32_t queue = QueueFor(b.locality(), b.queue_type(), b.birth_year(), b.language(), b.correction_type());
    const uint64_t first = NumberOf(LocalityId{b.locality()}, numbered + 1);
    numbered += b.count();
    Exec("vouchers_add", Params()
                             .Int(static_cast<int64_t>(first))
                             .Int(static_cast<int64_t>(first + b.count() - 1))
                             .Int(queue));
    Decide(fb::DecisionBody::VouchersAllocated, b.locality(), b.queue_type(), b.birth_year(), first, b.count());
    IssueVouchers(queue, at);
  }

  void UpdateCalendar(const fb::UpdateCalendar& b) {
    if (b.days() == nullptr || b.days()->size() == 0) throw Rejected{Code::MissingField};
    if (b.days()->size() > limits::kCalendarDaysPerUpdateMax) throw Rejected{Code::LimitExceeded};
    for (const fb::CalendarDay* day : *b.days()) {
      const auto date = civil::FromYyyymmdd(day->date());
      if (!date || !fb::EnumNameDayKind(day->kind())[0] || !WorkingCalendar::KindFitsDay(*date, day->kind())) {
        throw Rejected{Code::InvalidCalendar};
      }
      CheckText(day->note(), false);
    }
    for (const fb::CalendarDay* day : *b.days()) {
      Exec("calendar_put", Params().Int(day->date()).Int(static_cast<int>(day->kind())));
      calendar.SetDay(*civil::FromYyyymmdd(day->date()), day->kind());
    }
  }

  void SetPolicy(const fb::SetPriorityPolicy& b) {
    if (b.locality() != 0 && !LocalityExists(b.locality())) throw Rejected{Code::UnknownLocality};
    if (auto v = rules::CheckPolicy(b)) throw Rejected{v->code};

    PriorityPolicy policy;
    std::string tiers_text;
    for (const fb::PriorityTier* tier : *b.tiers()) {
      Tier t{tier->code()->str(), {}, tier->general_line()};
      tiers_text += fmt::format("{}{}:", tiers_text.empty() ? "" : ";", t.code);
      for (const flatbuffers::String* category : *tier->categories()) {
        t.categories.push_back(category->str());
        tiers_text += category->str() + ",";
      }
      policy.tiers.push_back(std::move(t));
    }
    policy.ratio = Ratio{b.ratio_priority(), b.ratio_general()};
    Exec("policy_put", Params().Int(b.locality()).Int(b.ratio_priority()).Int(b.ratio_general()).Text(tiers_text));
    policies[b.locality()] = std::move(policy);

    // Every queue the policy governs is re-ranked: its cycle restarts and each waiting (or
    // returning) application takes its category's new tier.
    std::vector<uint32_t> governed;
    const Result all = Query("localities_all", Params());
    for (int i = 0; i < all.rows(); ++i) {
      const auto owner = static_cast<uint32_t>(all.Int(i, 0));
      if (owner == b.locality() || (b.locality() == 0 && !policies.contains(owner))) governed.push_back(owner);
    }
    if (governed.empty()) return;
    const std::string array = IntArray(governed);
    Exec("queues_reset", Params().Text(array));
    const Result categories = Query("categories_of", Params().Text(array));
    for (int i = 0; i < categories.rows(); ++i) {
      const std::string category = categories.Text(i, 0);
      // The same policy governs all these localities (the one just set).
      const TierPlace place = PlaceOrLast(PolicyOf(governed.front()), category);
      Exec("rerank", Params().Text(category).Int(place.tier).Int(static_cast<int>(place.line)).Text(array));
    }
  }

  // One input, start to end, in one transaction.
  void ApplyInput(std::span<const uint8_t> bytes) {
    notes.clear();
    const uint64_t sequence = next_sequence++;
    const size_t header = out->size();
    out->insert(out->end(), {0, 0, 0});
    const auto finish = [&](fb::Outcome outcome, Code code, uint64_t duplicate_of) {
      (*out)[header] = static_cast<uint64_t>(outcome);
      (*out)[header + 1] = static_cast<uint64_t>(code);
      (*out)[header + 2] = duplicate_of;
      for (const Note& n : notes) {
        Exec("notify", Params()
                           .Int(static_cast<int64_t>(sequence))
                           .Int(static_cast<int64_t>(n.application))
                           .Text(n.recipient)
                           .Int(static_cast<int>(n.kind))
                           .Text(n.text.ru)
                           .Text(n.text.kk));
      }
      const std::span<const uint64_t> words(out->data() + header, out->size() - header);
      Exec("journal_put", Params()
                              .Int(static_cast<int64_t>(sequence))
                              .Int(now)
                              .Bytes(bytes)
                              .Int(static_cast<int>(outcome))
                              .Int(static_cast<int>(code))
                              .Bytes({reinterpret_cast<const uint8_t*>(words.data()), words.size_bytes()}));
    };
    Simple("BEGIN");
    flatbuffers::Verifier verifier(bytes.data(), bytes.size(), 16, 4096);
    if (bytes.size() > limits::kActionBytesMax) return finish(fb::Outcome::Rejected, Code::LimitExceeded, 0);
    if (!fb::VerifyActionBuffer(verifier)) return finish(fb::Outcome::Rejected, Code::VerifierFailed, 0);
    const fb::Action& action = *fb::GetAction(bytes.data());
    if (const auto envelope = rules::CheckEnvelope(action)) return finish(fb::Outcome::Rejected, envelope->code, 0);

    const std::string_view key = action.idempotency_key()->string_view();
    const auto digest = rules::ActionDigest(bytes, action);
    const auto low = static_cast<int64_t>(digest[0]), high = static_cast<int64_t>(digest[1]);
    const Result seen = Query("idem_get", Params().Text(key));
    if (!seen.empty()) {
      if (seen.Int(0, 0) == low && seen.Int(0, 1) == high) {
        return finish(fb::Outcome::Duplicate, Code::None, static_cast<uint64_t>(seen.Int(0, 2)));
      }
      return finish(fb::Outcome::Rejected, Code::IdempotencyKeyReused, 0);
    }
    if (const auto refused = rules::AdmitInstant(InstantMs{now}, InstantMs{clock}, action)) {
      return finish(fb::Outcome::Rejected, refused->code, 0);  // time does not move; the key stays free
    }
    const bool tick = action.body_type() == fb::ActionBody::ClockTick;
    if (tick && action.instant_ms() > clock) clock = action.instant_ms();
    if (action.instant_ms() > now) {
      now = action.instant_ms();
      Exec("set_now", Params().Int(now).Int(clock));
      ExpireDue(now);
    } else if (tick && clock == action.instant_ms()) {
      Exec("set_now", Params().Int(now).Int(clock));
    }
    Code code = Code::None;
    const size_t before = out->size();
    const size_t notes_before = notes.size();
    Simple("SAVEPOINT action");
    try {
      Dispatch(action, now);
      Simple("RELEASE SAVEPOINT action");
    } catch (const Rejected& r) {
      // Validation comes before every change, but a team would not rely on that alone.
      Simple("ROLLBACK TO SAVEPOINT action");
      out->resize(before);
      notes.resize(notes_before);
      code = r.code;
    }
    Exec("idem_put", Params().Text(key).Int(low).Int(high).Int(static_cast<int64_t>(sequence)));
    finish(code == Code::None ? fb::Outcome::Applied : fb::Outcome::Rejected, code, 0);
  }

};

PgBaseline::PgBaseline() = default;
PgBaseline::~PgBaseline() = default;

bool PgBaseline::Open(const std::string& conninfo, bool synchronous_commit, std::string* error) {
  impl_ = std::make_unique<Impl>();
  impl_->conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(impl_->conn) != CONNECTION_OK) {
    *error = fmt::format("cannot connect to PostgreSQL ({}): {}", conninfo, PQerrorMessage(impl_->conn));
    return false;
  }
  try {
    impl_->Simple("SET client_min_messages = warning");
    impl_->Simple(synchronous_commit ? "SET synchronous_commit = on" : "SET synchronous_commit = off");
    impl_->Simple(kSchema);
    for (const Statement& s : PreparedStatements()) {
      PGresult* r = PQprepare(impl_->conn, s.name, s.sql.c_str(), 0, nullptr);
      const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      const std::string message = ok ? "" : PQresultErrorMessage(r);
      PQclear(r);
      if (!ok) throw DbError(fmt::format("prepare {}: {}", s.name, message));
    }
  } catch (const DbError& e) {
    *error = e.what();
    return false;
  }
  return true;
}

bool PgBaseline::Apply(std::span<const uint8_t> action, Words* words, std::string* error) {
  impl_->out = words;
  try {
    impl_->ApplyInput(action);
    impl_->Simple("COMMIT");
    return true;
  } catch (const DbError& e) {
    *error = e.what();
    PQclear(PQexec(impl_->conn, "ROLLBACK"));
    return false;
  }
}

std::optional<uint64_t> PgBaseline::PositionOf(uint64_t application, std::string* error) {
  try {
    // A read: no transaction of its own beyond the statement's, no row lock.
    const Result r = impl_->Query("position", Params().Int(static_cast<int64_t>(application)));
    if (r.empty()) return std::nullopt;  // not waiting in a queue
    const Ratio ratio = impl_->PolicyOf(static_cast<uint32_t>(r.Int(0, 3))).ratio;
    return Queue::PlaceInIssueOrder(static_cast<uint64_t>(r.Int(0, 0)) + 1, static_cast<Line>(r.Int(0, 2)),
                                    static_cast<uint64_t>(r.Int(0, 1)), ratio, static_cast<uint32_t>(r.Int(0, 4)));
  } catch (const DbError& e) {
    *error = e.what();
    return std::nullopt;
  }
}

uint64_t PgBaseline::RanksOf(std::span<const uint64_t> applications, std::string* error) {
  std::string array = "{";
  for (size_t i = 0; i < applications.size(); ++i) array += fmt::format("{}{}", i ? "," : "", applications[i]);
  array += "}";
  try {
    const Result r = impl_->Query("ranks", Params().Text(array));
    uint64_t sum = 0;
    for (int i = 0; i < r.rows(); ++i) sum += static_cast<uint64_t>(r.Int(i, 1));
    return sum;
  } catch (const DbError& e) {
    *error = e.what();
    return 0;
  }
}

std::vector<uint64_t> PgBaseline::WaitingApplications(std::string* error) {
  std::vector<uint64_t> ids;
  PGresult* r = PQexec(impl_->conn, "SELECT id FROM applications WHERE status = 1 ORDER BY id");
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    *error = PQresultErrorMessage(r);
  } else {
    const Result rows(r);
    for (int i = 0; i < rows.rows(); ++i) ids.push_back(static_cast<uint64_t>(rows.Int(i, 0)));
    return ids;
  }
  PQclear(r);
  return ids;
}

uint64_t PgBaseline::Statements() const { return impl_->statements; }

uint64_t PgBaseline::DatabaseBytes() {
  PGresult* r = PQexec(impl_->conn, "SELECT pg_database_size(current_database())");
  const Result rows(r);
  return PQresultStatus(r) == PGRES_TUPLES_OK ? static_cast<uint64_t>(rows.Int(0, 0)) : 0;
}

std::string PgBaseline::ServerVersion() {
  const int v = PQserverVersion(impl_->conn);
  return fmt::format("{}.{}", v / 10000, v % 10000);
}

}  // namespace kezek::bench
