// kezek projections: the read models' store (adapters/embedded/projection_store.h) rebuilt from the
// journal alone, or checked against such a rebuild.
#include <filesystem>
#include <map>
#include <string>

#include <fmt/format.h>

#include "adapters/cli/commands.h"
#include "adapters/cli/common.h"
#include "adapters/embedded/projection_store.h"
#include "adapters/embedded/checkpoints.h"
#include "adapters/embedded/runtime.h"
#include "adapters/embedded/segment_log.h"
#include "projections/summary.h"

namespace kezek::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kProjectionsUsage = R"(usage: kezek projections rebuild --data DIR [--out PATH]
       kezek projections verify --data DIR

The read models behind the HTTP API («Мои заявки» cards, inboxes, positions and their history,
the catalogue, statistics, the notification feed) are fed by the journal alone and kept in
DIR/projections (RocksDB) with the journal sequence they reflect; 'kezek serve' loads them and
applies only the records after it.

  rebuild   makes the store anew from the journal: into DIR/projections (not while 'kezek serve'
            runs on DIR), or into PATH with --out (a directory that must not exist). Prints the
            entries' SHA-256: a rebuild's entries are byte for byte those of a live store at the
            same journal sequence.
  verify    rebuilds the read models in memory from the journal up to the sequence the store
            reflects and compares every entry with the store's (read-only; works beside a
            running server). Exit 0 when equal, 1 when they differ.

  --data DIR    the data directory
  --out PATH    (rebuild) where to write the store instead of DIR/projections
  --help        this text
)";

int Fail(const adapters::Status& s) { return fmt::print(stderr, "kezek projections: {}\n", s.ToString()), 1; }

int Rebuild(const std::string& data, const std::string& out) {
  // The journal alone (the read models' only feed): a data directory whose state is damaged or
  // missing still has its read models made.
  std::unique_ptr<adapters::SegmentLog> journal;  // the journal alone: a damaged actions log does not matter
  if (const auto s = adapters::OpenLogs(data, nullptr, &journal); !s.ok()) return Fail(s);
  const std::string path = out.empty() ? (fs::path(data) / "projections").string() : out;
  std::error_code error;
  if (!out.empty() && fs::exists(out, error)) {
    return fmt::print(stderr, "kezek projections: {}: already exists\n", adapters::Printable(out)), 2;
  }
  // Not beside a server: it holds the store's lock. Not the data directory's: the journal is read
  // read-only to its end as it stands, and a writer that keeps no read models (append, run) may
  // run beside it (the store then reflects the journal as it was read; serve catches it up).
  std::unique_ptr<adapters::ProjectionStore> store;
  if (const auto s = adapters::ProjectionStore::Open(path, &store); s.code() == adapters::Status::Code::kBusy) return Fail(s);
  store.reset();
  projections::ReadModels models;
  const auto say = [](const std::string& line) { fmt::print(stderr, "kezek projections: {}\n", line); };
  if (const auto s = adapters::OpenProjections(path, *journal, /*rebuild=*/true, &store, &models, say);
      !s.ok()) {
    return Fail(s);
  }
  Sha256 hash{};
  uint64_t entries = 0;
  if (const auto s = store->ContentHash(&hash, &entries); !s.ok()) return Fail(s);
  fmt::print("rebuilt {} at journal sequence {}: {} entries, sha256 {}\n", adapters::Printable(path), models.next_sequence(), entries, projections::Hex(hash));
  return 0;
}

int Verify(const std::string& data) {
  std::unique_ptr<adapters::ProjectionStore> store;
  const std::string path = (fs::path(data) / "projections").string();
  std::error_code error;
  if (!fs::exists(fs::path(path) / "CURRENT", error)) {  // no RocksDB store there
    if (!fs::exists(data, error)) {
      return fmt::print(stderr, "kezek projections verify: {}: no such data directory\n", adapters::Printable(data)), 1;
    }
    if (!fs::is_directory(data, error)) {
      return fmt::print(stderr, "kezek projections verify: {}: not a directory (--data names a data directory)\n",
                        adapters::Printable(data)), 1;
    }
    if (const adapters::Status s = adapters::CheckDataDirectory(data); !s.ok()) {
      return fmt::print(stderr, "kezek projections verify: {}\n", adapters::Printable(s.message())), 1;
    }
    return fmt::print(stderr,
                      "kezek projections verify: {} holds no read-model store ({} was never served, or the store was "
                      "removed): `kezek projections rebuild --data {}` makes it from the journal\n",
                      adapters::Printable(data), adapters::Printable(data), adapters::Printable(data)), 1;
  }
  if (const auto s = adapters::ProjectionStore::OpenReadOnly(path, &store); !s.ok()) {
    // A store some files of which are gone: a rebuild killed while it made the store anew.
    fmt::print(stderr, "kezek projections verify: {}\n", s.ToString());
    return fmt::print(stderr, "kezek projections verify: the store does not open (a 'kezek projections rebuild' killed "
                              "while it made it leaves it so, among other causes): 'kezek projections rebuild --data {}' "
                              "makes it anew\n",
                      adapters::Printable(data)), 1;
  }
  // The store first, then the journal (which only grows): it holds every record the store reflects.
  projections::ReadModels stored;
  Sha256 head{};
  if (const auto s = store->Load(&stored, &head); !s.ok()) return Fail(s);
  Sha256 stored_hash{};
  uint64_t stored_entries = 0;
  if (const auto s = store->ContentHash(&stored_hash, &stored_entries); !s.ok()) return Fail(s);
  if (stored_entries == 0) {  // wiped by a rebuild that stopped before its first write, or its log damaged
    return fmt::print("empty: the store holds no entries (a 'kezek projections rebuild' that stopped before its first "
                      "write leaves it so, and so does damage to its write-ahead log, which RocksDB reads up to the "
                      "damage): 'kezek projections rebuild --data {}' makes it\n", adapters::Printable(data)), 1;
  }
  std::unique_ptr<adapters::SegmentLog> journal;  // the journal alone: a damaged actions log does not matter
  if (const auto s = adapters::OpenLogs(data, nullptr, &journal); !s.ok()) return Fail(s);
  const uint64_t upto = stored.next_sequence();
  if (upto > journal->end()) {
    return fmt::print("differ: the store reflects {} journal records, the journal holds {}\n", upto, journal->end()), 1;
  }
  projections::ReadModels rebuilt;
  Sha256Hasher hasher;
  Sha256 last{};
  const auto read = adapters::ReadChained(*journal, 0, [&](uint64_t index, std::span<const uint8_t> record) {
    if (index >= upto) return false;
    rebuilt.Apply(record);
    if (index + 1 == upto) last = hasher.Of(record);
    return true;
  });
  if (!read.ok()) return Fail(read);
  // The rebuilt entries hashed as the store hashes its own: (length, key, length, value) in key order.
  std::map<std::string, std::string> entries;
  rebuilt.AllEntries([&](std::string_view key, std::string_view value) { entries.emplace(key, value); });
  entries.emplace("head", std::string(reinterpret_cast<const char*>(last.data()), last.size()));
  adapters::EntryHasher entry_hasher;
  for (const auto& [key, value] : entries) entry_hasher.Add(key, value);
  const Sha256 rebuilt_hash = entry_hasher.End();
  const bool equal = rebuilt_hash == stored_hash && entries.size() == stored_entries && rebuilt.Hash() == stored.Hash();
  fmt::print("{}: store at journal sequence {} ({} entries, sha256 {}); rebuilt from the journal: {} entries, sha256 {}\n",
             equal ? "equal" : "differ", upto, stored_entries, projections::Hex(stored_hash), entries.size(), projections::Hex(rebuilt_hash));
  return equal ? 0 : 1;
}

}  // namespace

int Projections(int argc, char** argv) {
  if (argc < 3) return fmt::print(stderr, "{}", kProjectionsUsage), 2;
  const std::string action = argv[2];
  if (action == "--help" || action == "-h") return fmt::print("{}", kProjectionsUsage), 0;
  if (action != "rebuild" && action != "verify") {
    return fmt::print(stderr, "kezek projections: unknown action '{}' (rebuild, verify)\n{}", adapters::Printable(action),
                      kProjectionsUsage), 2;
  }
  const auto args = Parse(argc, argv, 3, {"--data", "--out"}, {});
  if (!args) return 2;
  if (args->help) return fmt::print("{}", kProjectionsUsage), 0;
  if (!NoArguments(*args, "projections")) return 2;
  if (!args->options.contains("--data")) return fmt::print(stderr, "kezek projections: --data is required\n{}", kProjectionsUsage), 2;
  const std::string data = args->options.at("--data");
  const std::string out = args->options.contains("--out") ? args->options.at("--out") : "";
  if (action == "verify") {
    if (!out.empty()) return fmt::print(stderr, "kezek projections: --out goes with rebuild, not verify\n"), 2;
    return Verify(data);
  }
  if (RefusedDashAsDirectory("projections", "--out", out)) return 2;  // a store is a directory
  if (!out.empty() && RefusedInsideDataDir("projections", "--out", out, /*dash_is_stdout=*/false)) return 2;
  return Rebuild(data, out);
}

}  // namespace kezek::cli
