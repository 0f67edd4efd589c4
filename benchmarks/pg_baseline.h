// The PostgreSQL baseline: the same rules as the engine, built the way a portal team would build
// them without Kezek. Every action is one transaction against a real PostgreSQL server; the state
// lives in tables with indexes (applications, vouchers, queues, groups, ...); the next in line is
// an ORDER BY ... LIMIT 1 on a partial index; a position is a ranking query (count(*) of those
// ahead on the same index) computed on read; deadlines are columns found by an index range scan
// before each action; every input writes a journal row and the notifications it caused.
//
// Reference data that the service only reads while deciding (the working-day calendar, UTC
// offsets, the priority policies) is written to its tables and also cached in the service, as a
// team would cache it; everything a decision changes is read and written inside the action's
// transaction. Pure helpers (IIN check, civil time, calendar arithmetic, citizen texts, who may
// post what, the age on 1 September) are the project's own: a team would have the same library.
// It answers each input with the same decisions as Kezek (benchmarks/decision_words.h), which the country suite checks.
//
// Not thread-safe; one writer per database, as one engine per partition.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "benchmarks/decision_words.h"
#include "engine/calendar.h"
#include "engine/state.h"

struct pg_conn;

namespace kezek::bench {

class PgBaseline {
 public:
  // Connects (libpq conninfo), drops and recreates the schema. `synchronous_commit` off trades
  // the durability of the last commits for speed (the fold measure); on is the durable ingest.
  // False with *error if the server cannot be reached or the schema not made.
  [[nodiscard]] bool Open(const std::string& conninfo, bool synchronous_commit, std::string* error);
  PgBaseline();
  ~PgBaseline();
  PgBaseline(const PgBaseline&) = delete;
  PgBaseline& operator=(const PgBaseline&) = delete;

  // Applies one input (an action's canonical bytes) in one transaction; appends its decision
  // words to *words. False with *error on a database error (the transaction is rolled back).
  [[nodiscard]] bool Apply(std::span<const uint8_t> action, Words* words, std::string* error);

  // The application's position by the ranking query; nullopt unless it waits in a queue.
  [[nodiscard]] std::optional<uint64_t> PositionOf(uint64_t application, std::string* error);
  // The ranking query for many applications in one statement (its cost without a round trip
  // each); returns the sum of the ranks, so that the work cannot be skipped.
  uint64_t RanksOf(std::span<const uint64_t> applications, std::string* error);
  // Ids of applications waiting in a queue, ascending (to pick reads from).
  std::vector<uint64_t> WaitingApplications(std::string* error);
  // Statements sent so far (each a round trip to the server).
  uint64_t Statements() const;
  // Bytes of the database on disk (pg_database_size).
  uint64_t DatabaseBytes();
  std::string ServerVersion();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kezek::bench
