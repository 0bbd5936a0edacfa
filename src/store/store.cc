#include "store/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <system_error>
#include <utility>

#include "store/sqlite.h"

namespace medic::store {

using nlohmann::json;
using sqlite::Statement;
using sqlite::Transaction;

const char* toString(IncidentState state) {
  return state == IncidentState::kOpen ? "open" : "closed";
}

const char* toString(AlertState state) {
  return state == AlertState::kFiring ? "firing" : "resolved";
}

namespace {

/// Never throws: invalid UTF-8 in a string (from a container's output, say) is replaced.
std::string dumpJson(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// Reads a JSON column. SQL NULL reads as JSON null. Text that does not parse can only come from
/// damage or from another writer, so it is reported like corruption rather than guessed at.
Result<json> readJson(const Statement& stmt, int col, std::string_view what,
                      const std::filesystem::path& path) {
  if (stmt.isNull(col)) return json();
  json value = json::parse(stmt.text(col), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return Error::make(ErrorKind::kIo, "store is corrupt: " + std::string(what) + " in " +
                                           path.string() + ": a JSON column does not parse");
  }
  return value;
}

Result<std::vector<std::string>> readIds(const Statement& stmt, int col, std::string_view what,
                                         const std::filesystem::path& path) {
  auto value = readJson(stmt, col, what, path);
  if (!value) return value.error();
  std::vector<std::string> ids;
  if (value->is_null()) return ids;
  if (!value->is_array()) {
    return Error::make(ErrorKind::kIo, "store is corrupt: " + std::string(what) + " in " +
                                           path.string() + ": an id list is not a JSON array");
  }
  for (const auto& id : *value) {
    if (id.is_string()) ids.push_back(id.get<std::string>());
  }
  return ids;
}

std::string idsJson(const std::vector<std::string>& ids) {
  return dumpJson(json(ids));
}

/// Appends `extra` to `ids`, skipping ids already present (order kept).
void appendIds(std::vector<std::string>& ids, const std::vector<std::string>& extra) {
  for (const auto& id : extra) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
}

Status checkLimit(int64_t limit, std::string_view what) {
  if (limit <= 0) {
    return Error::make(
        ErrorKind::kBadRequest,
        std::string(what) + ": limit must be positive, got " + std::to_string(limit));
  }
  return okStatus();
}

/// Steps through every row, turning each into a T with `read`.
template <class T, class Read>
Result<std::vector<T>> collect(Statement& stmt, Read read) {
  std::vector<T> rows;
  while (true) {
    auto row = stmt.step();
    if (!row) return row.error();
    if (!*row) return rows;
    Result<T> item = read(stmt);
    if (!item) return item.error();
    rows.push_back(std::move(item).value());
  }
}

/// Reads at most one row.
template <class T, class Read>
Result<std::optional<T>> first(Statement& stmt, Read read) {
  auto row = stmt.step();
  if (!row) return row.error();
  if (!*row) return std::optional<T>();
  Result<T> item = read(stmt);
  if (!item) return item.error();
  return std::optional<T>(std::move(item).value());
}

std::string inQuotes(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// ---- Column lists and row readers (kept side by side so they cannot drift apart) ----

constexpr std::string_view kSnapshotColumns =
    "id, service, container_id, container_name, image_id, image_name, spec_json, taken_at_ms";

constexpr std::string_view kIntentColumns =
    "id, service, action, container_id, state_before_json, params_json, created_at_ms, ok, "
    "result_json, evidence_ids_json, finished_at_ms";

constexpr std::string_view kIncidentColumns =
    "id, service, cause, state, failed_at_ms, detected_at_ms, updated_at_ms, attempts, "
    "details_json, evidence_ids_json, outcome, recovered_at_ms, detection_seconds, "
    "recovery_seconds";

constexpr std::string_view kAlertColumns =
    "id, dedup_key, severity, service, title, text, state, created_at_ms, updated_at_ms, "
    "resolved_at_ms, acked, fire_count";

constexpr std::string_view kEvidenceColumns = "id, service, kind, time_ms, hash, data_json";

std::string sql(std::string_view head, std::string_view columns, std::string_view tail) {
  return std::string(head) + std::string(columns) + std::string(tail);
}

}  // namespace

// ---- Opening, integrity and migrations ----

Store::Store(std::unique_ptr<sqlite::Connection> conn, Options options)
    : conn_(std::move(conn)), options_(options) {}

Store::~Store() = default;

const std::filesystem::path& Store::path() const {
  return conn_->path();
}

int Store::latestSchemaVersion() {
  return static_cast<int>(builtinMigrations().size());
}

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& path, Options options) {
  return openImpl(path, builtinMigrations(), options);
}

Result<std::unique_ptr<Store>> Store::openWithMigrationsForTest(
    const std::filesystem::path& path, std::span<const Migration> migrations, Options options) {
  return openImpl(path, migrations, options);
}

Result<std::unique_ptr<Store>> Store::openImpl(const std::filesystem::path& path,
                                               std::span<const Migration> migrations,
                                               Options options) {
  if (options.snapshot_history <= 0 || options.busy_timeout_ms < 0) {
    return Error::make(ErrorKind::kBadRequest,
                       "store options: snapshot_history must be positive and busy_timeout_ms "
                       "not negative");
  }
  const bool in_memory = path == ":memory:";
  if (!in_memory && path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return Error::make(ErrorKind::kIo, "cannot create the state dir " +
                                             path.parent_path().string() +
                                             " for the store: " + ec.message() +
                                             "; create it or pick another --state-dir");
    }
  }
  auto conn = sqlite::Connection::open(path);
  if (!conn) return conn.error();
  sqlite3_busy_timeout((*conn)->handle(), options.busy_timeout_ms);
  std::unique_ptr<Store> store(new Store(std::move(*conn), options));
  if (auto status = store->configure(in_memory); !status) return status.error();
  if (auto status = store->migrate(migrations); !status) return status.error();
  return store;
}

Status Store::configure(bool in_memory) {
  // Integrity first, before any statement that could write: a damaged file must reach the
  // operator exactly as it was. Reading a garbage file fails here with SQLITE_NOTADB, which
  // Connection::error reports as "store is corrupt: ...".
  {
    auto check =
        conn_->prepare("PRAGMA quick_check", "checking the store's integrity (PRAGMA quick_check)");
    if (!check) return check.error();
    std::vector<std::string> problems;
    while (true) {
      auto row = check->step();
      if (!row) return row.error();
      if (!*row) break;
      std::string line = check->text(0);
      if (line != "ok" && problems.size() < 3) problems.push_back(std::move(line));
    }
    if (!problems.empty()) {
      std::string joined;
      for (const auto& p : problems) joined += (joined.empty() ? "" : "; ") + p;
      return Error::make(ErrorKind::kIo,
                         "store is corrupt: " + path().string() + " fails PRAGMA quick_check (" +
                             joined +
                             "); medic will not reset it. Move the file aside (keep it for "
                             "analysis) and restart medic to begin with an empty store");
    }
  }
  {
    auto mode = conn_->prepare("PRAGMA journal_mode=WAL", "enabling the WAL journal");
    if (!mode) return mode.error();
    auto row = mode->step();
    if (!row) return row.error();
    std::string got = *row ? mode->text(0) : "";
    if (got != (in_memory ? "memory" : "wal")) {
      return Error::make(ErrorKind::kIo, "cannot enable the WAL journal on " + path().string() +
                                             " (journal mode is '" + got +
                                             "'); put the state dir on a local filesystem");
    }
  }
  // FULL: in WAL mode a commit is durable once it returns, which is what "nothing acknowledged
  // before it is committed" needs. foreign_keys is per connection and off by default.
  return conn_->exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
                     "configuring the store connection");
}

namespace {

Result<int> readSchemaVersion(sqlite::Connection& conn) {
  auto stmt = conn.prepare("SELECT value FROM meta WHERE key = 'schema_version'",
                           "reading the store's schema version");
  if (!stmt) return stmt.error();
  auto row = stmt->step();
  if (!row) return row.error();
  std::string text = *row ? stmt->text(0) : "";
  int version = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (ec != std::errc() || end != text.data() + text.size() || version < 0) {
    return Error::make(ErrorKind::kIo, "store is corrupt: " + conn.path().string() +
                                           ": meta.schema_version is '" + text +
                                           "', not a version number");
  }
  return version;
}

}  // namespace

Status Store::migrate(std::span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return Error::make(ErrorKind::kInternal, "store migrations are out of order at '" +
                                                   std::string(migrations[i].name) +
                                                   "'; this is a bug in medic");
    }
  }
  const int latest = static_cast<int>(migrations.size());
  {
    auto txn = Transaction::begin(*conn_, "creating the store's meta table");
    if (!txn) return txn.error();
    auto status = conn_->exec(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '0')",
        "creating the store's meta table");
    if (!status) return status;
    if (auto commit = txn->commit(); !commit) return commit;
  }
  auto version = readSchemaVersion(*conn_);
  if (!version) return version.error();
  if (*version > latest) {
    return Error::make(ErrorKind::kIo,
                       "store " + path().string() + " has schema version " +
                           std::to_string(*version) + " but this medic knows only up to " +
                           std::to_string(latest) +
                           "; it was written by a newer medic. Upgrade medic (the file is left "
                           "untouched)");
  }
  for (const Migration& step : migrations) {
    std::string what = "migrating the store to schema version " + std::to_string(step.version) +
                       " (" + std::string(step.name) + ")";
    auto txn = Transaction::begin(*conn_, what);
    if (!txn) return txn.error();
    // Re-read under the write lock: another process may have migrated meanwhile.
    auto current = readSchemaVersion(*conn_);
    if (!current) return current.error();
    if (*current >= step.version) continue;  // the transaction rolls back (nothing written)
    if (*current == 0) {
      // A database medic did not create: refuse rather than mix our tables into it.
      auto foreign = conn_->prepare(
          "SELECT name FROM sqlite_schema WHERE type = 'table' AND name <> 'meta' AND name NOT "
          "LIKE 'sqlite_%' LIMIT 1",
          what);
      if (!foreign) return foreign.error();
      auto row = foreign->step();
      if (!row) return row.error();
      if (*row) {
        return Error::make(ErrorKind::kIo, "store " + path().string() + " holds table '" +
                                               foreign->text(0) +
                                               "' that medic did not create; it is not medic's "
                                               "store. Point --state-dir at medic's own directory");
      }
    }
    if (auto status = conn_->exec(step.sql, what); !status) return status;
    {
      auto bump = conn_->prepare("UPDATE meta SET value = ?1 WHERE key = 'schema_version'", what);
      if (!bump) return bump.error();
      if (auto status = bump->bindAll(std::to_string(step.version)).run(); !status) return status;
    }
    if (auto commit = txn->commit(); !commit) return commit;
  }
  return okStatus();
}

Result<int> Store::schemaVersion() {
  return readSchemaVersion(*conn_);
}

// ---- Deploys ----

namespace {

constexpr std::string_view kDeployColumns =
    "id, service, finished, state_json, created_at_ms, updated_at_ms";

Result<DeployRecord> readDeploy(const Statement& s, const std::filesystem::path& path) {
  DeployRecord d;
  d.id = s.text(0);
  d.service = s.text(1);
  d.finished = s.int64(2) != 0;
  auto state = readJson(s, 3, "reading deploy " + inQuotes(d.id), path);
  if (!state) return state.error();
  d.state_json = std::move(state).value();
  d.created_at_ms = s.int64(4);
  d.updated_at_ms = s.int64(5);
  return d;
}

}  // namespace

Status Store::saveDeploy(const DeployRecord& deploy) {
  auto stmt = conn_->prepare(
      "INSERT INTO deploys (id, service, finished, state_json, created_at_ms, updated_at_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET "
      "finished = excluded.finished, state_json = excluded.state_json, "
      "updated_at_ms = excluded.updated_at_ms",
      "saving deploy " + inQuotes(deploy.id));
  if (!stmt) return stmt.error();
  return stmt
      ->bindAll(deploy.id, deploy.service, static_cast<int64_t>(deploy.finished ? 1 : 0),
                dumpJson(deploy.state_json), deploy.created_at_ms, deploy.updated_at_ms)
      .run();
}

Result<std::optional<DeployRecord>> Store::getDeploy(std::string_view id) {
  auto stmt = conn_->prepare(sql("SELECT ", kDeployColumns, " FROM deploys WHERE id = ?1"),
                             "reading deploy " + inQuotes(id));
  if (!stmt) return stmt.error();
  stmt->bindAll(id);
  return first<DeployRecord>(*stmt, [&](const Statement& s) { return readDeploy(s, path()); });
}

Result<std::vector<DeployRecord>> Store::listDeploys(bool only_unfinished, int limit) {
  const std::string what = "listing deploys";
  if (auto status = checkLimit(limit, what); !status) return status.error();
  auto stmt = conn_->prepare(
      only_unfinished ? sql("SELECT ", kDeployColumns,
                            " FROM deploys WHERE finished = 0 ORDER BY created_at_ms DESC LIMIT ?1")
                      : sql("SELECT ", kDeployColumns,
                            " FROM deploys ORDER BY created_at_ms DESC LIMIT ?1"),
      what);
  if (!stmt) return stmt.error();
  stmt->bindAll(limit);
  return collect<DeployRecord>(*stmt, [&](const Statement& s) { return readDeploy(s, path()); });
}

Result<int64_t> Store::setMaxPageCountForTest(int64_t pages) {
  // PRAGMA arguments cannot be bound; this is an integer, never text from outside.
  auto stmt =
      conn_->exec("PRAGMA max_page_count = " + std::to_string(pages), "setting max_page_count");
  if (!stmt) return stmt.error();
  auto read = conn_->prepare("PRAGMA max_page_count", "reading max_page_count");
  if (!read) return read.error();
  auto row = read->step();
  if (!row) return row.error();
  return *row ? read->int64(0) : int64_t{0};
}

// ---- Spec snapshots ----

namespace {

Result<SnapshotRecord> readSnapshot(const Statement& s, const std::filesystem::path& path) {
  SnapshotRecord r;
  r.id = s.int64(0);
  r.service = s.text(1);
  r.container_id = s.text(2);
  r.container_name = s.text(3);
  r.image_id = s.text(4);
  r.image_name = s.text(5);
  auto spec = readJson(s, 6, "reading snapshot " + std::to_string(r.id), path);
  if (!spec) return spec.error();
  r.spec_json = std::move(spec).value();
  r.taken_at_ms = s.int64(7);
  return r;
}

}  // namespace

Result<int64_t> Store::saveSnapshot(const SnapshotRecord& snapshot) {
  if (snapshot.service.empty()) {
    return Error::make(ErrorKind::kBadRequest, "saving a snapshot: the service name is empty");
  }
  const std::string what = "saving snapshot for service " + inQuotes(snapshot.service);
  const std::string spec = dumpJson(snapshot.spec_json);
  auto txn = Transaction::begin(*conn_, what);
  if (!txn) return txn.error();
  {
    auto newest = conn_->prepare(
        "SELECT id, container_id, container_name, image_id, image_name, spec_json FROM snapshots "
        "WHERE service = ?1 ORDER BY taken_at_ms DESC, id DESC LIMIT 1",
        what);
    if (!newest) return newest.error();
    auto row = newest->bindAll(snapshot.service).step();
    if (!row) return row.error();
    if (*row && newest->text(1) == snapshot.container_id &&
        newest->text(2) == snapshot.container_name && newest->text(3) == snapshot.image_id &&
        newest->text(4) == snapshot.image_name && newest->text(5) == spec) {
      // Same container, same spec: refresh the time instead of filling the history.
      int64_t id = newest->int64(0);
      auto touch = conn_->prepare(
          "UPDATE snapshots SET taken_at_ms = max(taken_at_ms, ?2) WHERE id = ?1", what);
      if (!touch) return touch.error();
      if (auto status = touch->bindAll(id, snapshot.taken_at_ms).run(); !status) {
        return status.error();
      }
      if (auto commit = txn->commit(); !commit) return commit.error();
      return id;
    }
  }
  int64_t id = 0;
  {
    auto insert = conn_->prepare(
        "INSERT INTO snapshots (service, container_id, container_name, image_id, image_name, "
        "spec_json, taken_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        what);
    if (!insert) return insert.error();
    auto status = insert
                      ->bindAll(snapshot.service, snapshot.container_id, snapshot.container_name,
                                snapshot.image_id, snapshot.image_name, spec, snapshot.taken_at_ms)
                      .run();
    if (!status) return status.error();
    id = conn_->lastInsertRowid();
  }
  {
    // Keep the newest N rows, plus the newest row of each of the last N distinct images so a
    // rollback target is not pushed out by repeated snapshots of the current image.
    auto trim = conn_->prepare(
        "DELETE FROM snapshots WHERE service = ?1 AND id NOT IN ("
        "  SELECT id FROM (SELECT id FROM snapshots WHERE service = ?1"
        "                  ORDER BY taken_at_ms DESC, id DESC LIMIT ?2)"
        "  UNION"
        "  SELECT id FROM (SELECT id, taken_at_ms FROM ("
        "      SELECT id, taken_at_ms, ROW_NUMBER() OVER ("
        "          PARTITION BY image_id ORDER BY taken_at_ms DESC, id DESC) AS rank_in_image"
        "      FROM snapshots WHERE service = ?1)"
        "    WHERE rank_in_image = 1 ORDER BY taken_at_ms DESC, id DESC LIMIT ?2))",
        what);
    if (!trim) return trim.error();
    auto status = trim->bindAll(snapshot.service, options_.snapshot_history).run();
    if (!status) return status.error();
  }
  if (auto commit = txn->commit(); !commit) return commit.error();
  return id;
}

Result<std::optional<SnapshotRecord>> Store::latestSnapshot(std::string_view service) {
  const std::string what = "reading the latest snapshot of service " + inQuotes(service);
  auto stmt = conn_->prepare(sql("SELECT ", kSnapshotColumns,
                                 " FROM snapshots WHERE service = ?1 "
                                 "ORDER BY taken_at_ms DESC, id DESC LIMIT 1"),
                             what);
  if (!stmt) return stmt.error();
  stmt->bindAll(service);
  return first<SnapshotRecord>(*stmt, [&](const Statement& s) { return readSnapshot(s, path()); });
}

Result<std::vector<SnapshotRecord>> Store::snapshotHistory(std::string_view service) {
  const std::string what = "reading the snapshot history of service " + inQuotes(service);
  auto stmt = conn_->prepare(sql("SELECT ", kSnapshotColumns,
                                 " FROM snapshots WHERE service = ?1 "
                                 "ORDER BY taken_at_ms DESC, id DESC"),
                             what);
  if (!stmt) return stmt.error();
  stmt->bindAll(service);
  return collect<SnapshotRecord>(*stmt,
                                 [&](const Statement& s) { return readSnapshot(s, path()); });
}

Result<std::optional<SnapshotRecord>> Store::lastHealthyImage(std::string_view service,
                                                              std::string_view excluding_image_id) {
  const std::string what = "finding a rollback image for service " + inQuotes(service);
  auto stmt = conn_->prepare(sql("SELECT ", kSnapshotColumns,
                                 " FROM snapshots WHERE service = ?1 AND image_id <> ?2 "
                                 "ORDER BY taken_at_ms DESC, id DESC LIMIT 1"),
                             what);
  if (!stmt) return stmt.error();
  stmt->bindAll(service, excluding_image_id);
  return first<SnapshotRecord>(*stmt, [&](const Statement& s) { return readSnapshot(s, path()); });
}

// ---- Per-service supervisor state ----

Status Store::saveServiceState(std::string_view service, const nlohmann::json& state) {
  auto stmt = conn_->prepare(
      "INSERT INTO service_state (service, state_json) VALUES (?1, ?2) "
      "ON CONFLICT (service) DO UPDATE SET state_json = excluded.state_json",
      "saving the state of service " + inQuotes(service));
  if (!stmt) return stmt.error();
  return stmt->bindAll(service, dumpJson(state)).run();
}

Result<std::map<std::string, nlohmann::json>> Store::loadServiceStates() {
  auto stmt = conn_->prepare("SELECT service, state_json FROM service_state ORDER BY service",
                             "loading service states");
  if (!stmt) return stmt.error();
  std::map<std::string, json> states;
  while (true) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return states;
    std::string service = stmt->text(0);
    auto state = readJson(*stmt, 1, "loading the state of service " + inQuotes(service), path());
    if (!state) return state.error();
    states.emplace(std::move(service), std::move(state).value());
  }
}

Status Store::deleteServiceState(std::string_view service) {
  auto stmt = conn_->prepare("DELETE FROM service_state WHERE service = ?1",
                             "deleting the state of service " + inQuotes(service));
  if (!stmt) return stmt.error();
  return stmt->bindAll(service).run();
}

// ---- Intents ----

namespace {

Result<IntentRecord> readIntent(const Statement& s, const std::filesystem::path& path) {
  IntentRecord r;
  r.id = s.int64(0);
  const std::string what = "reading intent " + std::to_string(r.id);
  r.service = s.text(1);
  r.action = s.text(2);
  r.container_id = s.text(3);
  auto before = readJson(s, 4, what, path);
  if (!before) return before.error();
  r.state_before_json = std::move(before).value();
  auto params = readJson(s, 5, what, path);
  if (!params) return params.error();
  r.params_json = std::move(params).value();
  r.created_at_ms = s.int64(6);
  if (!s.isNull(7)) r.ok = s.int64(7) != 0;
  auto result = readJson(s, 8, what, path);
  if (!result) return result.error();
  r.result_json = std::move(result).value();
  auto ids = readIds(s, 9, what, path);
  if (!ids) return ids.error();
  r.evidence_ids = std::move(ids).value();
  r.finished_at_ms = s.optionalInt64(10);
  return r;
}

}  // namespace

Result<int64_t> Store::beginIntent(const IntentRecord& intent) {
  if (intent.service.empty() || intent.action.empty()) {
    return Error::make(ErrorKind::kBadRequest,
                       "recording an intent: service and action are required");
  }
  const std::string what =
      "recording intent '" + intent.action + "' for service " + inQuotes(intent.service);
  auto stmt = conn_->prepare(
      "INSERT INTO intents (service, action, container_id, state_before_json, params_json, "
      "created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      what);
  if (!stmt) return stmt.error();
  auto status = stmt->bindAll(intent.service, intent.action, intent.container_id,
                              dumpJson(intent.state_before_json), dumpJson(intent.params_json),
                              intent.created_at_ms)
                    .run();
  if (!status) return status.error();
  return conn_->lastInsertRowid();
}

Status Store::finishIntent(int64_t id, bool ok, const nlohmann::json& result_json,
                           int64_t finished_at_ms, const std::vector<std::string>& evidence_ids) {
  const std::string what = "finishing intent " + std::to_string(id);
  {
    auto stmt = conn_->prepare(
        "UPDATE intents SET ok = ?2, result_json = ?3, evidence_ids_json = ?4, "
        "finished_at_ms = ?5 WHERE id = ?1 AND finished_at_ms IS NULL",
        what);
    if (!stmt) return stmt.error();
    auto status =
        stmt->bindAll(id, ok, dumpJson(result_json), idsJson(evidence_ids), finished_at_ms).run();
    if (!status) return status;
  }
  if (conn_->changes() == 1) return okStatus();
  auto exists = conn_->prepare("SELECT 1 FROM intents WHERE id = ?1", what);
  if (!exists) return exists.error();
  auto row = exists->bindAll(id).step();
  if (!row) return row.error();
  if (!*row) return Error::make(ErrorKind::kNotFound, what + ": no such intent");
  return Error::make(ErrorKind::kConflict, what + ": it was already finished");
}

Result<std::vector<IntentRecord>> Store::pendingIntents() {
  auto stmt = conn_->prepare(
      sql("SELECT ", kIntentColumns, " FROM intents WHERE finished_at_ms IS NULL ORDER BY id"),
      "listing pending intents");
  if (!stmt) return stmt.error();
  return collect<IntentRecord>(*stmt, [&](const Statement& s) { return readIntent(s, path()); });
}

Result<std::vector<IntentRecord>> Store::listIntents(std::string_view service, int limit) {
  const std::string what = "listing intents of service " + inQuotes(service);
  if (auto status = checkLimit(limit, what); !status) return status.error();
  auto stmt = conn_->prepare(
      sql("SELECT ", kIntentColumns, " FROM intents WHERE service = ?1 ORDER BY id DESC LIMIT ?2"),
      what);
  if (!stmt) return stmt.error();
  stmt->bindAll(service, limit);
  return collect<IntentRecord>(*stmt, [&](const Statement& s) { return readIntent(s, path()); });
}

// ---- Incidents ----

namespace {

Result<IncidentRecord> readIncident(const Statement& s, const std::filesystem::path& path) {
  IncidentRecord r;
  r.id = s.int64(0);
  const std::string what = "reading incident " + std::to_string(r.id);
  r.service = s.text(1);
  r.cause = s.text(2);
  r.state = s.text(3) == "open" ? IncidentState::kOpen : IncidentState::kClosed;
  r.failed_at_ms = s.int64(4);
  r.detected_at_ms = s.int64(5);
  r.updated_at_ms = s.int64(6);
  r.attempts = static_cast<int>(s.int64(7));
  auto details = readJson(s, 8, what, path);
  if (!details) return details.error();
  r.details_json = std::move(details).value();
  auto ids = readIds(s, 9, what, path);
  if (!ids) return ids.error();
  r.evidence_ids = std::move(ids).value();
  r.outcome = s.text(10);
  r.recovered_at_ms = s.optionalInt64(11);
  r.detection_seconds = s.optionalReal(12);
  r.recovery_seconds = s.optionalReal(13);
  return r;
}

}  // namespace

Result<int64_t> Store::openIncident(const IncidentRecord& incident) {
  if (incident.service.empty()) {
    return Error::make(ErrorKind::kBadRequest, "opening an incident: the service name is empty");
  }
  auto stmt = conn_->prepare(
      "INSERT INTO incidents (service, cause, state, failed_at_ms, detected_at_ms, updated_at_ms, "
      "attempts, details_json, evidence_ids_json) VALUES (?1, ?2, 'open', ?3, ?4, ?5, ?6, ?7, ?8)",
      "opening an incident for service " + inQuotes(incident.service));
  if (!stmt) return stmt.error();
  auto status =
      stmt->bindAll(incident.service, incident.cause, incident.failed_at_ms,
                    incident.detected_at_ms,
                    std::max(incident.updated_at_ms, incident.detected_at_ms), incident.attempts,
                    dumpJson(incident.details_json), idsJson(incident.evidence_ids))
          .run();
  if (!status) return status.error();
  return conn_->lastInsertRowid();
}

namespace {

/// Reads an incident's evidence ids under the caller's transaction, refusing closed or unknown
/// incidents.
Result<std::vector<std::string>> openIncidentIds(sqlite::Connection& conn, int64_t id,
                                                 const std::string& what) {
  auto stmt = conn.prepare("SELECT state, evidence_ids_json FROM incidents WHERE id = ?1", what);
  if (!stmt) return stmt.error();
  auto row = stmt->bindAll(id).step();
  if (!row) return row.error();
  if (!*row) return Error::make(ErrorKind::kNotFound, what + ": no such incident");
  if (stmt->text(0) != "open") {
    return Error::make(ErrorKind::kConflict, what + ": the incident is already closed");
  }
  return readIds(*stmt, 1, what, conn.path());
}

}  // namespace

Status Store::updateIncident(int64_t id, int attempts, const nlohmann::json& details_json,
                             int64_t updated_at_ms, const std::vector<std::string>& evidence_ids) {
  const std::string what = "updating incident " + std::to_string(id);
  auto txn = Transaction::begin(*conn_, what);
  if (!txn) return txn.error();
  auto ids = openIncidentIds(*conn_, id, what);
  if (!ids) return ids.error();
  appendIds(*ids, evidence_ids);
  {
    auto stmt = conn_->prepare(
        "UPDATE incidents SET attempts = ?2, details_json = ?3, evidence_ids_json = ?4, "
        "updated_at_ms = max(updated_at_ms, ?5) WHERE id = ?1",
        what);
    if (!stmt) return stmt.error();
    auto status =
        stmt->bindAll(id, attempts, dumpJson(details_json), idsJson(*ids), updated_at_ms).run();
    if (!status) return status;
  }
  return txn->commit();
}

Status Store::reclassifyIncident(int64_t id, std::string_view cause, int64_t updated_at_ms) {
  const std::string what = "reclassifying incident " + std::to_string(id);
  if (cause.empty()) return Error::make(ErrorKind::kBadRequest, what + ": the cause is empty");
  auto txn = Transaction::begin(*conn_, what);
  if (!txn) return txn.error();
  if (auto open = openIncidentIds(*conn_, id, what); !open) return open.error();
  {
    auto stmt = conn_->prepare(
        "UPDATE incidents SET cause = ?2, updated_at_ms = max(updated_at_ms, ?3) WHERE id = ?1",
        what);
    if (!stmt) return stmt.error();
    auto status = stmt->bindAll(id, cause, updated_at_ms).run();
    if (!status) return status;
  }
  return txn->commit();
}

Status Store::closeIncident(int64_t id, std::string_view outcome,
                            std::optional<int64_t> recovered_at_ms,
                            std::optional<double> detection_seconds,
                            std::optional<double> recovery_seconds, int attempts,
                            const std::vector<std::string>& evidence_ids) {
  const std::string what = "closing incident " + std::to_string(id);
  if (outcome.empty()) {
    return Error::make(ErrorKind::kBadRequest, what + ": the outcome is empty");
  }
  auto txn = Transaction::begin(*conn_, what);
  if (!txn) return txn.error();
  auto ids = openIncidentIds(*conn_, id, what);
  if (!ids) return ids.error();
  appendIds(*ids, evidence_ids);
  {
    auto stmt = conn_->prepare(
        "UPDATE incidents SET state = 'closed', outcome = ?2, recovered_at_ms = ?3, "
        "detection_seconds = ?4, recovery_seconds = ?5, attempts = ?6, evidence_ids_json = ?7, "
        "updated_at_ms = max(updated_at_ms, coalesce(?3, updated_at_ms)) WHERE id = ?1",
        what);
    if (!stmt) return stmt.error();
    auto status = stmt->bindAll(id, outcome, recovered_at_ms, detection_seconds, recovery_seconds,
                                attempts, idsJson(*ids))
                      .run();
    if (!status) return status;
  }
  return txn->commit();
}

Result<std::optional<IncidentRecord>> Store::getIncident(int64_t id) {
  auto stmt = conn_->prepare(sql("SELECT ", kIncidentColumns, " FROM incidents WHERE id = ?1"),
                             "reading incident " + std::to_string(id));
  if (!stmt) return stmt.error();
  stmt->bindAll(id);
  return first<IncidentRecord>(*stmt, [&](const Statement& s) { return readIncident(s, path()); });
}

Result<std::vector<IncidentRecord>> Store::listIncidents(int64_t since_ms) {
  auto stmt = conn_->prepare(sql("SELECT ", kIncidentColumns,
                                 " FROM incidents WHERE detected_at_ms >= ?1 "
                                 "ORDER BY detected_at_ms, id"),
                             "listing incidents");
  if (!stmt) return stmt.error();
  stmt->bindAll(since_ms);
  return collect<IncidentRecord>(*stmt,
                                 [&](const Statement& s) { return readIncident(s, path()); });
}

Result<std::vector<IncidentRecord>> Store::openIncidents() {
  auto stmt = conn_->prepare(
      sql("SELECT ", kIncidentColumns, " FROM incidents WHERE state = 'open' ORDER BY id"),
      "listing open incidents");
  if (!stmt) return stmt.error();
  return collect<IncidentRecord>(*stmt,
                                 [&](const Statement& s) { return readIncident(s, path()); });
}

// ---- Alerts ----

namespace {

Result<AlertRecord> readAlert(const Statement& s) {
  AlertRecord r;
  r.id = s.int64(0);
  r.dedup_key = s.text(1);
  r.severity = s.text(2);
  r.service = s.text(3);
  r.title = s.text(4);
  r.text = s.text(5);
  r.state = s.text(6) == "firing" ? AlertState::kFiring : AlertState::kResolved;
  r.created_at_ms = s.int64(7);
  r.updated_at_ms = s.int64(8);
  r.resolved_at_ms = s.optionalInt64(9);
  r.acked = s.int64(10) != 0;
  r.fire_count = s.int64(11);
  return r;
}

}  // namespace

Result<AlertUpsert> Store::upsertAlert(const AlertRecord& alert) {
  if (alert.dedup_key.empty()) {
    return Error::make(ErrorKind::kBadRequest,
                       "raising alert '" + alert.title + "': the dedup key is empty");
  }
  const std::string what = "raising alert " + inQuotes(alert.dedup_key);
  auto txn = Transaction::begin(*conn_, what);
  if (!txn) return txn.error();
  std::optional<int64_t> firing_id;
  {
    auto find =
        conn_->prepare("SELECT id FROM alerts WHERE dedup_key = ?1 AND state = 'firing'", what);
    if (!find) return find.error();
    auto row = find->bindAll(alert.dedup_key).step();
    if (!row) return row.error();
    if (*row) firing_id = find->int64(0);
  }
  AlertUpsert result;
  if (firing_id) {
    auto update = conn_->prepare(
        "UPDATE alerts SET severity = ?2, service = ?3, title = ?4, text = ?5, "
        "updated_at_ms = max(updated_at_ms, ?6), fire_count = fire_count + 1 WHERE id = ?1",
        what);
    if (!update) return update.error();
    auto status = update
                      ->bindAll(*firing_id, alert.severity, alert.service, alert.title, alert.text,
                                alert.updated_at_ms)
                      .run();
    if (!status) return status.error();
    result = AlertUpsert{*firing_id, false};
  } else {
    auto insert = conn_->prepare(
        "INSERT INTO alerts (dedup_key, severity, service, title, text, state, created_at_ms, "
        "updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, 'firing', ?6, ?7)",
        what);
    if (!insert) return insert.error();
    auto status =
        insert
            ->bindAll(alert.dedup_key, alert.severity, alert.service, alert.title, alert.text,
                      alert.created_at_ms, std::max(alert.updated_at_ms, alert.created_at_ms))
            .run();
    if (!status) return status.error();
    result = AlertUpsert{conn_->lastInsertRowid(), true};
  }
  if (auto commit = txn->commit(); !commit) return commit.error();
  return result;
}

Result<bool> Store::resolveAlert(std::string_view dedup_key, int64_t at_ms) {
  auto stmt = conn_->prepare(
      "UPDATE alerts SET state = 'resolved', resolved_at_ms = ?2, "
      "updated_at_ms = max(updated_at_ms, ?2) WHERE dedup_key = ?1 AND state = 'firing'",
      "resolving alert " + inQuotes(dedup_key));
  if (!stmt) return stmt.error();
  auto status = stmt->bindAll(dedup_key, at_ms).run();
  if (!status) return status.error();
  return conn_->changes() > 0;
}

Status Store::ackAlert(int64_t id) {
  const std::string what = "acknowledging alert " + std::to_string(id);
  auto stmt = conn_->prepare("UPDATE alerts SET acked = 1 WHERE id = ?1", what);
  if (!stmt) return stmt.error();
  auto status = stmt->bindAll(id).run();
  if (!status) return status;
  if (conn_->changes() == 0) return Error::make(ErrorKind::kNotFound, what + ": no such alert");
  return okStatus();
}

Result<std::optional<AlertRecord>> Store::getAlert(int64_t id) {
  auto stmt = conn_->prepare(sql("SELECT ", kAlertColumns, " FROM alerts WHERE id = ?1"),
                             "reading alert " + std::to_string(id));
  if (!stmt) return stmt.error();
  stmt->bindAll(id);
  return first<AlertRecord>(*stmt, readAlert);
}

Result<std::vector<AlertRecord>> Store::listAlerts(bool only_firing) {
  auto stmt = conn_->prepare(sql("SELECT ", kAlertColumns,
                                 " FROM alerts WHERE ?1 = 0 OR state = 'firing' ORDER BY id DESC"),
                             "listing alerts");
  if (!stmt) return stmt.error();
  stmt->bindAll(only_firing);
  return collect<AlertRecord>(*stmt, readAlert);
}

// ---- Evidence ----

namespace {

Result<EvidenceRecord> readEvidence(const Statement& s, const std::filesystem::path& path) {
  EvidenceRecord r;
  r.id = s.text(0);
  r.service = s.text(1);
  r.kind = s.text(2);
  r.time_ms = s.int64(3);
  r.hash = s.text(4);
  auto data = readJson(s, 5, "reading evidence " + inQuotes(r.id), path);
  if (!data) return data.error();
  r.data_json = std::move(data).value();
  return r;
}

}  // namespace

Status Store::insertEvidence(const EvidenceRecord& evidence, std::string_view blob) {
  const std::string what = "storing evidence " + inQuotes(evidence.id);
  if (evidence.id.empty()) {
    return Error::make(ErrorKind::kBadRequest, "storing evidence: the id is empty");
  }
  {
    auto insert = conn_->prepare(
        "INSERT INTO evidence (id, service, kind, time_ms, hash, data_json, blob) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
        what);
    if (!insert) return insert.error();
    insert->bindAll(evidence.id, evidence.service, evidence.kind, evidence.time_ms, evidence.hash,
                    dumpJson(evidence.data_json));
    if (blob.empty()) {
      insert->bind(7, std::nullopt);
    } else {
      insert->bindBlob(7, blob);
    }
    auto status = insert->run();
    if (!status) return status;
  }
  if (conn_->changes() == 1) return okStatus();
  auto existing = conn_->prepare("SELECT hash FROM evidence WHERE id = ?1", what);
  if (!existing) return existing.error();
  auto row = existing->bindAll(evidence.id).step();
  if (!row) return row.error();
  if (*row && existing->text(0) == evidence.hash) return okStatus();  // a retried write
  return Error::make(ErrorKind::kConflict,
                     what +
                         ": that id is already stored with different content (evidence is "
                         "immutable; give new evidence a new id)");
}

Status Store::putEvidence(const EvidenceRecord& evidence) {
  return insertEvidence(evidence, {});
}

Status Store::putEvidenceWithBlob(const EvidenceRecord& evidence, std::string_view blob) {
  return insertEvidence(evidence, blob);
}

Status Store::putEvidenceBatch(std::span<const EvidenceRecord> batch) {
  if (batch.empty()) return okStatus();
  // Probe evidence arrives many times a second and the daemon writes it from its loop. With the
  // WAL, synchronous=NORMAL skips the fsync of this commit but still survives a crash of medic
  // (kill -9): only an OS crash or power loss can lose the last batches, and the next FULL commit
  // (any intent, state or alert) makes them durable too. Everything that guards an action stays
  // FULL.
  if (auto relaxed = conn_->exec("PRAGMA synchronous=NORMAL", "relaxing sync for evidence");
      !relaxed) {
    return relaxed;
  }
  struct RestoreFull {
    sqlite::Connection* conn;
    ~RestoreFull() { (void)conn->exec("PRAGMA synchronous=FULL", "restoring full sync"); }
  } restore{conn_.get()};
  auto txn = Transaction::begin(
      *conn_, "storing a batch of " + std::to_string(batch.size()) + " evidence records");
  if (!txn) return txn.error();
  for (const auto& evidence : batch) {
    if (auto status = insertEvidence(evidence, {}); !status) return status;
  }
  return txn->commit();
}

Result<std::optional<EvidenceRecord>> Store::getEvidence(std::string_view id) {
  auto stmt = conn_->prepare(sql("SELECT ", kEvidenceColumns, " FROM evidence WHERE id = ?1"),
                             "reading evidence " + inQuotes(id));
  if (!stmt) return stmt.error();
  stmt->bindAll(id);
  return first<EvidenceRecord>(*stmt, [&](const Statement& s) { return readEvidence(s, path()); });
}

Result<std::vector<EvidenceRecord>> Store::listEvidence(std::string_view service, int limit) {
  const std::string what =
      "listing evidence" + (service.empty() ? std::string() : " of service " + inQuotes(service));
  if (auto status = checkLimit(limit, what); !status) return status.error();
  // Two statements rather than "?1 = '' OR service = ?1", so the per-service index is used.
  auto stmt = service.empty()
                  ? conn_->prepare(sql("SELECT ", kEvidenceColumns,
                                       " FROM evidence ORDER BY time_ms DESC, id DESC LIMIT ?1"),
                                   what)
                  : conn_->prepare(sql("SELECT ", kEvidenceColumns,
                                       " FROM evidence WHERE service = ?2 "
                                       "ORDER BY time_ms DESC, id DESC LIMIT ?1"),
                                   what);
  if (!stmt) return stmt.error();
  stmt->bind(1, limit);
  if (!service.empty()) stmt->bind(2, service);
  return collect<EvidenceRecord>(*stmt,
                                 [&](const Statement& s) { return readEvidence(s, path()); });
}

Result<std::optional<std::string>> Store::getEvidenceBlob(std::string_view id) {
  auto stmt = conn_->prepare("SELECT ifnull(blob, x'') FROM evidence WHERE id = ?1",
                             "reading the attachment of evidence " + inQuotes(id));
  if (!stmt) return stmt.error();
  stmt->bindAll(id);
  return first<std::string>(*stmt, [](const Statement& s) -> Result<std::string> { return s.blob(0); });
}

Result<std::vector<EvidenceFootprint>> Store::evidenceFootprints() {
  auto stmt = conn_->prepare(
      "SELECT id, time_ms, length(data_json) + ifnull(length(blob), 0) FROM evidence "
      "ORDER BY time_ms, id",
      "measuring the evidence");
  if (!stmt) return stmt.error();
  return collect<EvidenceFootprint>(*stmt, [](const Statement& s) -> Result<EvidenceFootprint> {
    return EvidenceFootprint{s.text(0), s.int64(1), s.int64(2)};
  });
}

Result<int64_t> Store::deleteEvidence(std::span<const std::string> ids) {
  if (ids.empty()) return int64_t{0};
  const std::string what = "deleting " + std::to_string(ids.size()) + " evidence records";
  auto txn = Transaction::begin(*conn_, what);
  if (!txn) return txn.error();
  int64_t deleted = 0;
  for (const auto& id : ids) {
    auto stmt = conn_->prepare("DELETE FROM evidence WHERE id = ?1", what);
    if (!stmt) return stmt.error();
    if (auto status = stmt->bindAll(id).run(); !status) return status.error();
    deleted += conn_->changes();
  }
  if (auto commit = txn->commit(); !commit) return commit.error();
  return deleted;
}

Result<int64_t> Store::pruneEvidence(int64_t older_than_ms, int64_t max_rows) {
  const std::string what = "pruning evidence";
  auto txn = Transaction::begin(*conn_, what);
  if (!txn) return txn.error();
  int64_t deleted = 0;
  {
    auto by_age = conn_->prepare("DELETE FROM evidence WHERE time_ms < ?1", what);
    if (!by_age) return by_age.error();
    if (auto status = by_age->bindAll(older_than_ms).run(); !status) return status.error();
    deleted += conn_->changes();
  }
  if (max_rows > 0) {
    auto by_count = conn_->prepare(
        "DELETE FROM evidence WHERE id IN ("
        "  SELECT id FROM evidence ORDER BY time_ms DESC, id DESC LIMIT -1 OFFSET ?1)",
        what);
    if (!by_count) return by_count.error();
    if (auto status = by_count->bindAll(max_rows).run(); !status) return status.error();
    deleted += conn_->changes();
  }
  if (auto commit = txn->commit(); !commit) return commit.error();
  return deleted;
}

// ---- Channel messages ----

Result<int64_t> Store::appendMessage(std::string_view channel, const nlohmann::json& data) {
  if (channel.empty()) {
    return Error::make(ErrorKind::kBadRequest, "appending a message: the channel name is empty");
  }
  auto stmt = conn_->prepare("INSERT INTO messages (channel, data_json) VALUES (?1, ?2)",
                             "appending a message to channel " + inQuotes(channel));
  if (!stmt) return stmt.error();
  auto status = stmt->bindAll(channel, dumpJson(data)).run();
  if (!status) return status.error();
  return conn_->lastInsertRowid();
}

Result<std::vector<MessageRecord>> Store::messagesSince(std::string_view channel, int64_t after_id,
                                                        int limit) {
  const std::string what = "reading messages of channel " + inQuotes(channel);
  if (auto status = checkLimit(limit, what); !status) return status.error();
  auto stmt = conn_->prepare(
      "SELECT id, channel, data_json FROM messages WHERE channel = ?1 AND id > ?2 "
      "ORDER BY id LIMIT ?3",
      what);
  if (!stmt) return stmt.error();
  stmt->bindAll(channel, after_id, limit);
  return collect<MessageRecord>(*stmt, [&](const Statement& s) -> Result<MessageRecord> {
    MessageRecord r;
    r.id = s.int64(0);
    r.channel = s.text(1);
    auto data = readJson(s, 2, "reading message " + std::to_string(r.id), path());
    if (!data) return data.error();
    r.data_json = std::move(data).value();
    return r;
  });
}

Result<std::vector<MessageRecord>> Store::latestMessages(std::string_view channel, int limit) {
  const std::string what = "reading the latest messages of channel " + inQuotes(channel);
  if (auto status = checkLimit(limit, what); !status) return status.error();
  auto stmt = conn_->prepare(
      "SELECT id, channel, data_json FROM messages WHERE channel = ?1 ORDER BY id DESC LIMIT ?2",
      what);
  if (!stmt) return stmt.error();
  stmt->bindAll(channel, limit);
  auto rows = collect<MessageRecord>(*stmt, [&](const Statement& s) -> Result<MessageRecord> {
    MessageRecord r;
    r.id = s.int64(0);
    r.channel = s.text(1);
    auto data = readJson(s, 2, "reading message " + std::to_string(r.id), path());
    if (!data) return data.error();
    r.data_json = std::move(data).value();
    return r;
  });
  if (rows) std::reverse(rows->begin(), rows->end());
  return rows;
}

Result<int64_t> Store::lastMessageId() {
  // sqlite_sequence keeps the highest AUTOINCREMENT id ever used, even after every row is pruned.
  auto stmt = conn_->prepare("SELECT seq FROM sqlite_sequence WHERE name = 'messages'",
                             "reading the last message id");
  if (!stmt) return stmt.error();
  auto row = stmt->step();
  if (!row) return row.error();
  return *row ? stmt->int64(0) : int64_t{0};
}

Result<int64_t> Store::pruneMessages(int64_t max_rows) {
  if (max_rows < 0) {
    return Error::make(ErrorKind::kBadRequest, "pruning messages: max_rows must not be negative");
  }
  auto stmt = conn_->prepare(
      "DELETE FROM messages WHERE id IN (SELECT id FROM messages ORDER BY id DESC "
      "LIMIT -1 OFFSET ?1)",
      "pruning messages");
  if (!stmt) return stmt.error();
  if (auto status = stmt->bindAll(max_rows).run(); !status) return status.error();
  return conn_->changes();
}

}  // namespace medic::store
