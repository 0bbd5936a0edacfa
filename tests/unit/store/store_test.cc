#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_dir.h"

namespace medic::store {
namespace {

using nlohmann::json;
using testing::readBytes;
using testing::TempDir;
using testing::writeBytes;

/// Unwraps a Result, failing the test (via an exception gtest reports) when it holds an error.
template <class T>
T must(Result<T> result) {
  if (!result.ok()) {
    ADD_FAILURE() << result.error().describe();
    throw std::runtime_error(result.error().describe());
  }
  return std::move(result).value();
}

void mustOk(const Status& status) {
  if (!status.ok()) {
    ADD_FAILURE() << status.error().describe();
    throw std::runtime_error(status.error().describe());
  }
}

bool startsWith(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

/// Runs one SQL query through a separate connection (as an operator with sqlite3 would) and
/// returns the first column of the first row.
std::string queryFirst(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) out = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db);
  return out;
}

SnapshotRecord snapshot(std::string service, std::string container_id, std::string image_id,
                        int64_t taken_at_ms, json spec = json::object()) {
  SnapshotRecord r;
  r.service = std::move(service);
  r.container_id = std::move(container_id);
  r.container_name = r.service + "-1";
  r.image_id = std::move(image_id);
  r.image_name = "example/" + r.service + ":latest";
  r.spec_json = spec.empty() ? json{{"Image", r.image_id}, {"Env", {"MODE=prod"}}} : spec;
  r.taken_at_ms = taken_at_ms;
  return r;
}

EvidenceRecord evidence(std::string id, std::string service, int64_t time_ms,
                        std::string hash = "h1") {
  EvidenceRecord r;
  r.id = std::move(id);
  r.service = std::move(service);
  r.kind = "http";
  r.time_ms = time_ms;
  r.hash = std::move(hash);
  r.data_json = {{"status", 200}, {"latency_ms", 12.5}, {"body", "ok"}};
  return r;
}

AlertRecord alert(std::string key, std::string text, int64_t at_ms) {
  AlertRecord r;
  r.dedup_key = std::move(key);
  r.severity = "critical";
  r.service = "webui";
  r.title = "webui is down";
  r.text = std::move(text);
  r.created_at_ms = at_ms;
  r.updated_at_ms = at_ms;
  return r;
}

class StoreTest : public ::testing::Test {
 protected:
  std::filesystem::path dbPath() const { return dir_ / "state/medic.db"; }
  std::unique_ptr<Store> openStore(StoreOptions options = {}) {
    return must(Store::open(dbPath(), options));
  }

  TempDir dir_;
};

// ---- Opening and schema ----

TEST_F(StoreTest, OpenCreatesTheFileInWalModeAtTheLatestSchema) {
  auto store = openStore();
  EXPECT_TRUE(std::filesystem::exists(dbPath()));
  EXPECT_EQ(must(store->schemaVersion()), Store::latestSchemaVersion());
  EXPECT_GE(Store::latestSchemaVersion(), 1);
  // journal_mode=WAL is persistent: a second connection sees it.
  EXPECT_EQ(queryFirst(dbPath(), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(queryFirst(dbPath(), "SELECT value FROM meta WHERE key = 'schema_version'"),
            std::to_string(Store::latestSchemaVersion()));
}

TEST_F(StoreTest, MigratesAnEmptyFileAndReopeningIsIdempotent) {
  std::filesystem::create_directories(dbPath().parent_path());
  writeBytes(dbPath(), "");  // a zero-byte file is an empty database, not a corrupt one
  {
    auto store = openStore();
    EXPECT_EQ(must(store->schemaVersion()), Store::latestSchemaVersion());
    mustOk(store->saveServiceState("webui", json{{"attempts", 1}}));
  }
  std::string schema_before =
      queryFirst(dbPath(), "SELECT group_concat(sql, ';') FROM sqlite_schema");
  for (int i = 0; i < 2; ++i) {
    auto store = openStore();
    EXPECT_EQ(must(store->schemaVersion()), Store::latestSchemaVersion());
    EXPECT_EQ(must(store->loadServiceStates()).at("webui"), (json{{"attempts", 1}}));
  }
  EXPECT_EQ(queryFirst(dbPath(), "SELECT group_concat(sql, ';') FROM sqlite_schema"),
            schema_before);
}

TEST_F(StoreTest, MigrationStepsRunInOrderEachInItsOwnTransaction) {
  const Migration v1{1, "items", "CREATE TABLE items (name TEXT NOT NULL);"};
  const Migration v2{2, "item sizes", "ALTER TABLE items ADD COLUMN size INTEGER;"};
  const Migration v3_broken{3, "broken step",
                            "CREATE TABLE half_done (x INTEGER); THIS IS NOT SQL;"};
  {
    const Migration steps[] = {v1};
    auto store = must(Store::openWithMigrationsForTest(dbPath(), steps));
    EXPECT_EQ(must(store->schemaVersion()), 1);
  }
  {
    const Migration steps[] = {v1, v2};
    auto store = must(Store::openWithMigrationsForTest(dbPath(), steps));
    EXPECT_EQ(must(store->schemaVersion()), 2);
  }
  EXPECT_EQ(queryFirst(dbPath(), "SELECT count(*) FROM pragma_table_info('items')"), "2");
  {
    const Migration steps[] = {v1, v2, v3_broken};
    auto result = Store::openWithMigrationsForTest(dbPath(), steps);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("broken step"), std::string::npos)
        << result.error().message;
  }
  // The failed step left nothing behind: version 2, and its first statement rolled back.
  EXPECT_EQ(queryFirst(dbPath(), "SELECT value FROM meta WHERE key = 'schema_version'"), "2");
  EXPECT_EQ(queryFirst(dbPath(), "SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'"),
            "0");
}

TEST_F(StoreTest, RefusesAStoreWrittenByANewerSchemaAndLeavesItUntouched) {
  const Migration v1{1, "items", "CREATE TABLE items (name TEXT NOT NULL);"};
  const Migration v2{2, "more", "CREATE TABLE more_items (name TEXT NOT NULL);"};
  {
    const Migration steps[] = {v1, v2};
    must(Store::openWithMigrationsForTest(dbPath(), steps));
  }
  std::string before = readBytes(dbPath());
  const Migration steps[] = {v1};
  auto result = Store::openWithMigrationsForTest(dbPath(), steps);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kIo);
  EXPECT_NE(result.error().message.find("newer medic"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(readBytes(dbPath()), before);
}

TEST_F(StoreTest, RefusesADatabaseThatIsNotMedics) {
  std::filesystem::create_directories(dbPath().parent_path());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dbPath().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE customers (name TEXT)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto result = Store::open(dbPath());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kIo);
  EXPECT_NE(result.error().message.find("customers"), std::string::npos) << result.error().message;
  EXPECT_EQ(queryFirst(dbPath(), "SELECT count(*) FROM sqlite_schema WHERE name = 'snapshots'"),
            "0");
}

TEST_F(StoreTest, GarbageFileIsReportedCorruptAndNotModified) {
  std::filesystem::create_directories(dbPath().parent_path());
  const std::string garbage = "this is not a database";
  writeBytes(dbPath(), garbage);
  auto result = Store::open(dbPath());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kIo);
  EXPECT_TRUE(startsWith(result.error().message, "store is corrupt:")) << result.error().message;
  EXPECT_NE(result.error().message.find(dbPath().string()), std::string::npos);
  EXPECT_EQ(readBytes(dbPath()), garbage);
  // Opening again gives the same answer: nothing was "repaired" in between.
  auto again = Store::open(dbPath());
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(startsWith(again.error().message, "store is corrupt:"));
  EXPECT_EQ(readBytes(dbPath()), garbage);
}

TEST_F(StoreTest, DamagedDataPagesFailTheIntegrityCheckAndAreNotModified) {
  {
    auto store = openStore();
    std::vector<EvidenceRecord> batch;
    for (int i = 0; i < 400; ++i) {
      batch.push_back(evidence("ev-" + std::to_string(i), "webui", 1000 + i));
      batch.back().data_json["body"] = std::string(400, 'b');
    }
    mustOk(store->putEvidenceBatch(batch));
  }  // closing the last connection checkpoints the WAL into the main file
  std::string bytes = readBytes(dbPath());
  const size_t page_size = 4096;
  ASSERT_GT(bytes.size(), 40 * page_size);
  // Scribble over the last pages only: evidence rows, written after every table's root page.
  // Opening and migrating never reads them, so only the integrity check can notice.
  for (size_t i = bytes.size() - 3 * page_size; i < bytes.size(); ++i) {
    bytes[i] = static_cast<char>(0xA5);
  }
  writeBytes(dbPath(), bytes);
  auto result = Store::open(dbPath());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kIo);
  EXPECT_TRUE(startsWith(result.error().message, "store is corrupt:")) << result.error().message;
  EXPECT_NE(result.error().message.find("quick_check"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(readBytes(dbPath()), bytes);
}

TEST_F(StoreTest, UnwritableLocationIsAnIoError) {
  writeBytes(dir_ / "not-a-dir", "x");
  auto result = Store::open(dir_ / "not-a-dir/medic.db");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kIo);
  EXPECT_NE(result.error().message.find("not-a-dir"), std::string::npos) << result.error().message;
}

// ---- Snapshots ----

TEST_F(StoreTest, SnapshotsRoundTripNewestFirst) {
  auto store = openStore();
  EXPECT_EQ(must(store->latestSnapshot("webui")), std::nullopt);
  auto first = snapshot("webui", "c1", "sha256:aaa", 1000,
                        json{{"Image", "sha256:aaa"},
                             {"Env", {"A=1"}},
                             {"Mounts", json::array({{{"Source", "/data"}}})}});
  first.id = must(store->saveSnapshot(first));
  auto second = snapshot("webui", "c2", "sha256:bbb", 2000);
  second.id = must(store->saveSnapshot(second));
  auto other = snapshot("api", "c9", "sha256:zzz", 1500);
  other.id = must(store->saveSnapshot(other));
  EXPECT_NE(first.id, second.id);

  EXPECT_EQ(must(store->latestSnapshot("webui")), second);
  EXPECT_EQ(must(store->snapshotHistory("webui")), (std::vector<SnapshotRecord>{second, first}));
  EXPECT_EQ(must(store->snapshotHistory("api")), std::vector<SnapshotRecord>{other});
}

TEST_F(StoreTest, LastHealthyImageSkipsTheFailingImage) {
  auto store = openStore();
  auto old_good = snapshot("webui", "c1", "sha256:old", 1000);
  old_good.id = must(store->saveSnapshot(old_good));
  auto current = snapshot("webui", "c2", "sha256:new", 2000);
  current.id = must(store->saveSnapshot(current));

  EXPECT_EQ(must(store->lastHealthyImage("webui", "sha256:new")), old_good);
  EXPECT_EQ(must(store->lastHealthyImage("webui", "sha256:other")), current);
  auto only = snapshot("api", "c3", "sha256:new", 1000);
  must(store->saveSnapshot(only));
  EXPECT_EQ(must(store->lastHealthyImage("api", "sha256:new")), std::nullopt);
}

TEST_F(StoreTest, SavingTheSameContainerAgainRefreshesInsteadOfAddingRows) {
  auto store = openStore();
  auto snap = snapshot("webui", "c1", "sha256:aaa", 1000);
  int64_t id = must(store->saveSnapshot(snap));
  snap.taken_at_ms = 5000;
  EXPECT_EQ(must(store->saveSnapshot(snap)), id);
  auto history = must(store->snapshotHistory("webui"));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].taken_at_ms, 5000);
  // A changed spec is a new snapshot.
  snap.spec_json["Env"] = {"MODE=debug"};
  snap.taken_at_ms = 6000;
  EXPECT_NE(must(store->saveSnapshot(snap)), id);
  EXPECT_EQ(must(store->snapshotHistory("webui")).size(), 2u);
}

TEST_F(StoreTest, HistoryIsBoundedButKeepsARollbackTarget) {
  auto store = openStore(StoreOptions{.snapshot_history = 3});
  must(store->saveSnapshot(snapshot("webui", "c-old", "sha256:old", 100)));
  // Many recreated containers on the current image push the old image out of the newest 3 ...
  for (int i = 0; i < 8; ++i) {
    must(store->saveSnapshot(snapshot("webui", "c" + std::to_string(i), "sha256:new", 1000 + i)));
  }
  auto history = must(store->snapshotHistory("webui"));
  ASSERT_EQ(history.size(), 4u);  // the newest 3 plus the newest of the other image
  EXPECT_EQ(history[0].container_id, "c7");
  EXPECT_EQ(history[2].container_id, "c5");
  EXPECT_EQ(history[3].container_id, "c-old");
  // ... but rollback still finds the old image.
  auto target = must(store->lastHealthyImage("webui", "sha256:new"));
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->image_id, "sha256:old");
}

// ---- Service state ----

TEST_F(StoreTest, ServiceStatesRoundTripAndOverwrite) {
  auto store = openStore();
  EXPECT_TRUE(must(store->loadServiceStates()).empty());
  json webui = {{"attempts", json::array({1000, 2000})}, {"escalated", false}, {"flaps", 0}};
  mustOk(store->saveServiceState("webui", webui));
  mustOk(store->saveServiceState("api", json{{"escalated", true}}));
  webui["attempts"].push_back(3000);
  mustOk(store->saveServiceState("webui", webui));
  auto states = must(store->loadServiceStates());
  EXPECT_EQ(states,
            (std::map<std::string, json>{{"api", json{{"escalated", true}}}, {"webui", webui}}));
  mustOk(store->deleteServiceState("api"));
  EXPECT_EQ(must(store->loadServiceStates()).count("api"), 0u);
}

// ---- Intents ----

TEST_F(StoreTest, IntentsArePendingUntilFinishedAndKeepTheWholeActionRecord) {
  auto store = openStore();
  IntentRecord intent;
  intent.service = "webui";
  intent.action = "restart";
  intent.container_id = "c1";
  intent.state_before_json = {{"Status", "exited"}, {"ExitCode", 137}};
  intent.params_json = {{"method", "POST"}, {"path", "/containers/c1/restart?t=2"}};
  intent.created_at_ms = 1000;
  intent.id = must(store->beginIntent(intent));

  auto pending = must(store->pendingIntents());
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0], intent);
  EXPECT_TRUE(pending[0].pending());

  json answer = {{"status", 500}, {"body", {{"message", "driver failed programming"}}}};
  mustOk(store->finishIntent(intent.id, false, answer, 1500, {"ev-1", "ev-2"}));
  EXPECT_TRUE(must(store->pendingIntents()).empty());

  auto records = must(store->listIntents("webui", 10));
  ASSERT_EQ(records.size(), 1u);
  intent.ok = false;
  intent.result_json = answer;
  intent.evidence_ids = {"ev-1", "ev-2"};
  intent.finished_at_ms = 1500;
  EXPECT_EQ(records[0], intent);

  auto twice = store->finishIntent(intent.id, true, json::object(), 1600);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().kind, ErrorKind::kConflict);
  auto unknown = store->finishIntent(intent.id + 100, true, json::object(), 1600);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
  // The refused second finish changed nothing.
  EXPECT_EQ(must(store->listIntents("webui", 10))[0], intent);
}

TEST_F(StoreTest, ListIntentsIsNewestFirstAndLimited) {
  auto store = openStore();
  for (int i = 0; i < 5; ++i) {
    IntentRecord intent;
    intent.service = i % 2 == 0 ? "webui" : "api";
    intent.action = "start";
    intent.created_at_ms = 1000 + i;
    must(store->beginIntent(intent));
  }
  auto webui = must(store->listIntents("webui", 2));
  ASSERT_EQ(webui.size(), 2u);
  EXPECT_EQ(webui[0].created_at_ms, 1004);
  EXPECT_EQ(webui[1].created_at_ms, 1002);
  EXPECT_EQ(must(store->pendingIntents()).size(), 5u);
  EXPECT_EQ(store->listIntents("webui", 0).error().kind, ErrorKind::kBadRequest);
}

// ---- Incidents ----

TEST_F(StoreTest, IncidentsOpenUpdateAndClose) {
  auto store = openStore();
  IncidentRecord incident;
  incident.service = "webui";
  incident.cause = "removed";
  incident.failed_at_ms = 10'000;
  incident.detected_at_ms = 10'200;
  incident.details_json = {{"container_id", "c1"}};
  incident.evidence_ids = {"ev-a"};
  incident.id = must(store->openIncident(incident));

  incident.updated_at_ms = incident.detected_at_ms;
  EXPECT_EQ(must(store->getIncident(incident.id)), incident);
  EXPECT_EQ(must(store->openIncidents()), std::vector<IncidentRecord>{incident});

  mustOk(store->updateIncident(incident.id, 1, json{{"step", "recreate"}}, 11'000, {"ev-b"}));
  mustOk(store->reclassifyIncident(incident.id, "replacement_failed", 11'500));
  EXPECT_EQ(must(store->getIncident(incident.id))->cause, "replacement_failed");
  mustOk(store->closeIncident(incident.id, "recovered", 12'000, 0.2, 1.8, 1, {"ev-b", "ev-c"}));

  auto closed = must(store->getIncident(incident.id));
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->state, IncidentState::kClosed);
  EXPECT_EQ(closed->outcome, "recovered");
  EXPECT_EQ(closed->attempts, 1);
  EXPECT_EQ(closed->details_json, (json{{"step", "recreate"}}));
  EXPECT_EQ(closed->evidence_ids, (std::vector<std::string>{"ev-a", "ev-b", "ev-c"}));
  EXPECT_EQ(closed->recovered_at_ms, 12'000);
  EXPECT_EQ(closed->detection_seconds, 0.2);
  EXPECT_EQ(closed->recovery_seconds, 1.8);
  EXPECT_EQ(closed->updated_at_ms, 12'000);
  EXPECT_TRUE(must(store->openIncidents()).empty());

  auto again = store->closeIncident(incident.id, "escalated", std::nullopt, 0.2, std::nullopt, 3);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(store->updateIncident(incident.id, 2, json::object(), 13'000).error().kind,
            ErrorKind::kConflict);
  EXPECT_EQ(store->updateIncident(9999, 2, json::object(), 13'000).error().kind,
            ErrorKind::kNotFound);
  EXPECT_EQ(store->reclassifyIncident(incident.id, "exited", 13'000).error().kind,
            ErrorKind::kConflict);
  EXPECT_EQ(store->reclassifyIncident(9999, "exited", 13'000).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(must(store->getIncident(incident.id)), closed);
}

TEST_F(StoreTest, EscalatedIncidentHasNoRecoveryTimes) {
  auto store = openStore();
  IncidentRecord incident;
  incident.service = "api";
  incident.cause = "exited";
  incident.failed_at_ms = 1000;
  incident.detected_at_ms = 1100;
  int64_t id = must(store->openIncident(incident));
  mustOk(store->closeIncident(id, "escalated", std::nullopt, 0.1, std::nullopt, 3));
  auto closed = must(store->getIncident(id));
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->outcome, "escalated");
  EXPECT_EQ(closed->recovered_at_ms, std::nullopt);
  EXPECT_EQ(closed->recovery_seconds, std::nullopt);
  EXPECT_EQ(closed->attempts, 3);
}

TEST_F(StoreTest, ListIncidentsSinceATime) {
  auto store = openStore();
  for (int64_t t : {1000, 2000, 3000}) {
    IncidentRecord incident;
    incident.service = "webui";
    incident.cause = "exited";
    incident.failed_at_ms = t;
    incident.detected_at_ms = t;
    must(store->openIncident(incident));
  }
  auto recent = must(store->listIncidents(2000));
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0].detected_at_ms, 2000);
  EXPECT_EQ(recent[1].detected_at_ms, 3000);
  EXPECT_EQ(must(store->listIncidents(0)).size(), 3u);
  EXPECT_TRUE(must(store->listIncidents(3001)).empty());
}

// ---- Alerts ----

TEST_F(StoreTest, AlertsDeduplicateWhileFiring) {
  auto store = openStore();
  auto first = must(store->upsertAlert(alert("webui/down", "exited with 137", 1000)));
  EXPECT_TRUE(first.created);
  auto again = must(store->upsertAlert(alert("webui/down", "still down after 3 attempts", 2000)));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.id, first.id);

  auto firing = must(store->listAlerts(/*only_firing=*/true));
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].id, first.id);
  EXPECT_EQ(firing[0].text, "still down after 3 attempts");
  EXPECT_EQ(firing[0].created_at_ms, 1000);
  EXPECT_EQ(firing[0].updated_at_ms, 2000);
  EXPECT_EQ(firing[0].fire_count, 2);
  EXPECT_EQ(firing[0].state, AlertState::kFiring);
  EXPECT_EQ(firing[0].severity, "critical");
  EXPECT_EQ(firing[0].service, "webui");
  EXPECT_EQ(firing[0].title, "webui is down");
  EXPECT_FALSE(firing[0].acked);
}

TEST_F(StoreTest, ResolvedAlertsBecomeHistoryAndTheKeyFiresAnew) {
  auto store = openStore();
  auto first = must(store->upsertAlert(alert("webui/down", "down", 1000)));
  EXPECT_TRUE(must(store->resolveAlert("webui/down", 1500)));
  EXPECT_FALSE(must(store->resolveAlert("webui/down", 1600)));  // nothing firing any more
  EXPECT_TRUE(must(store->listAlerts(true)).empty());

  auto resolved = must(store->getAlert(first.id));
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->state, AlertState::kResolved);
  EXPECT_EQ(resolved->resolved_at_ms, 1500);

  auto second = must(store->upsertAlert(alert("webui/down", "down again", 3000)));
  EXPECT_TRUE(second.created);
  EXPECT_GT(second.id, first.id);
  auto all = must(store->listAlerts(false));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, second.id);  // newest first
  EXPECT_EQ(all[1].id, first.id);
}

TEST_F(StoreTest, AckAlertMarksItAndUnknownIdsAreNotFound) {
  auto store = openStore();
  auto raised = must(store->upsertAlert(alert("disk/full", "no space", 1000)));
  mustOk(store->ackAlert(raised.id));
  mustOk(store->ackAlert(raised.id));  // idempotent
  EXPECT_TRUE(must(store->getAlert(raised.id))->acked);
  // Firing again keeps the acknowledgement: the operator already knows.
  must(store->upsertAlert(alert("disk/full", "still no space", 2000)));
  EXPECT_TRUE(must(store->getAlert(raised.id))->acked);
  auto unknown = store->ackAlert(raised.id + 42);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(store->upsertAlert(alert("", "no key", 1)).error().kind, ErrorKind::kBadRequest);
}

// ---- Evidence ----

TEST_F(StoreTest, EvidenceRoundTripsAndIsImmutable) {
  auto store = openStore();
  auto ev = evidence("ev-1", "webui", 1000);
  mustOk(store->putEvidence(ev));
  EXPECT_EQ(must(store->getEvidence("ev-1")), ev);
  EXPECT_EQ(must(store->getEvidence("ev-missing")), std::nullopt);

  mustOk(store->putEvidence(ev));  // a retry of the same write is fine
  auto changed = ev;
  changed.hash = "h2";
  changed.data_json["status"] = 500;
  auto conflict = store->putEvidence(changed);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(must(store->getEvidence("ev-1")), ev);
}

TEST_F(StoreTest, ListEvidenceNewestFirstPerServiceOrAll) {
  auto store = openStore();
  mustOk(store->putEvidence(evidence("a", "webui", 1000)));
  mustOk(store->putEvidence(evidence("b", "api", 2000)));
  mustOk(store->putEvidence(evidence("c", "webui", 3000)));
  auto ids = [](const std::vector<EvidenceRecord>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.id);
    return out;
  };
  EXPECT_EQ(ids(must(store->listEvidence("webui", 10))), (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(ids(must(store->listEvidence("", 10))), (std::vector<std::string>{"c", "b", "a"}));
  EXPECT_EQ(ids(must(store->listEvidence("", 2))), (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(store->listEvidence("webui", 0).error().kind, ErrorKind::kBadRequest);
}

TEST_F(StoreTest, EvidenceBatchIsAllOrNothing) {
  auto store = openStore();
  mustOk(store->putEvidence(evidence("taken", "webui", 1, "h-original")));
  std::vector<EvidenceRecord> batch = {evidence("n1", "webui", 10), evidence("n2", "webui", 11),
                                       evidence("taken", "webui", 12, "h-different")};
  auto status = store->putEvidenceBatch(batch);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(must(store->getEvidence("n1")), std::nullopt);
  batch.pop_back();
  mustOk(store->putEvidenceBatch(batch));
  EXPECT_EQ(must(store->listEvidence("webui", 10)).size(), 3u);
}

TEST_F(StoreTest, PruneEvidenceByAgeThenByCount) {
  auto store = openStore();
  for (int i = 0; i < 10; ++i) {
    mustOk(store->putEvidence(evidence("ev-" + std::to_string(i), "webui", 1000 + i)));
  }
  EXPECT_EQ(must(store->pruneEvidence(1003, 0)), 3);  // ev-0..2 are older than 1003
  EXPECT_EQ(must(store->getEvidence("ev-2")), std::nullopt);
  EXPECT_TRUE(must(store->getEvidence("ev-3")).has_value());
  EXPECT_EQ(must(store->pruneEvidence(0, 4)), 3);  // keep the newest 4 of the remaining 7
  auto rest = must(store->listEvidence("", 100));
  ASSERT_EQ(rest.size(), 4u);
  EXPECT_EQ(rest.front().id, "ev-9");
  EXPECT_EQ(rest.back().id, "ev-6");
}

TEST_F(StoreTest, EvidenceAttachmentsAreStoredMeasuredAndDeletedWithTheirRecord) {
  auto store = openStore();
  auto shot = evidence("ev-shot", "webui", 2000, "h-shot");
  shot.kind = "screenshot";
  const std::string png("\x89PNG\r\n\x1a\n\0\0binary", 16);
  mustOk(store->putEvidenceWithBlob(shot, png));
  mustOk(store->putEvidence(evidence("ev-plain", "webui", 1000)));

  auto read = must(store->getEvidence("ev-shot"));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(*read, shot);  // lists stay light: the bytes come from getEvidenceBlob
  EXPECT_EQ(must(store->getEvidenceBlob("ev-shot")), png);
  EXPECT_EQ(must(store->getEvidenceBlob("ev-plain")), std::string());
  EXPECT_EQ(must(store->getEvidenceBlob("ev-none")), std::nullopt);

  auto sizes = must(store->evidenceFootprints());
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[0].id, "ev-plain");  // oldest first
  EXPECT_EQ(sizes[1].id, "ev-shot");
  EXPECT_EQ(sizes[1].bytes, static_cast<int64_t>(shot.data_json.dump().size()) + 16);

  const std::vector<std::string> gone = {"ev-shot", "ev-unknown"};
  EXPECT_EQ(must(store->deleteEvidence(gone)), 1);
  EXPECT_EQ(must(store->getEvidence("ev-shot")), std::nullopt);
  EXPECT_EQ(must(store->evidenceFootprints()).size(), 1u);
}

// ---- Channel messages ----

TEST_F(StoreTest, MessagesHaveMonotonicIdsAndReplayPerChannel) {
  auto store = openStore();
  int64_t a = must(store->appendMessage("service_state", json{{"type", "down"}}));
  int64_t b = must(store->appendMessage("validation_results", json{{"type", "gate"}}));
  int64_t c = must(store->appendMessage("service_state", json{{"type", "up"}}));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(must(store->lastMessageId()), c);

  auto replay = must(store->messagesSince("service_state", 0, 100));
  ASSERT_EQ(replay.size(), 2u);
  EXPECT_EQ(replay[0], (MessageRecord{a, "service_state", json{{"type", "down"}}}));
  EXPECT_EQ(replay[1], (MessageRecord{c, "service_state", json{{"type", "up"}}}));
  auto resumed = must(store->messagesSince("service_state", a, 100));
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].id, c);
  EXPECT_EQ(must(store->messagesSince("service_state", 0, 1)).size(), 1u);
  EXPECT_EQ(store->messagesSince("service_state", 0, 0).error().kind, ErrorKind::kBadRequest);
}

TEST_F(StoreTest, MessageIdsAreNeverReusedAfterPruneAndReopen) {
  int64_t last = 0;
  {
    auto store = openStore();
    for (int i = 0; i < 5; ++i) last = must(store->appendMessage("bus", json{{"n", i}}));
    EXPECT_EQ(must(store->pruneMessages(2)), 3);
    EXPECT_EQ(must(store->messagesSince("bus", 0, 100)).size(), 2u);
    EXPECT_EQ(must(store->pruneMessages(0)), 2);
    EXPECT_EQ(must(store->lastMessageId()), last);
  }
  auto store = openStore();
  EXPECT_EQ(must(store->lastMessageId()), last);
  EXPECT_GT(must(store->appendMessage("bus", json{{"n", 5}})), last);
}

// ---- Durability ----

TEST_F(StoreTest, ReopenKeepsEverything) {
  SnapshotRecord snap = snapshot("webui", "c1", "sha256:aaa", 1000);
  IntentRecord intent;
  intent.service = "webui";
  intent.action = "recreate";
  intent.params_json = {{"from_snapshot", 1}};
  intent.created_at_ms = 2000;
  IncidentRecord incident;
  incident.service = "webui";
  incident.cause = "removed";
  incident.failed_at_ms = 1900;
  incident.detected_at_ms = 1950;
  AlertUpsert raised;
  EvidenceRecord ev = evidence("ev-1", "webui", 2100);
  int64_t message_id = 0;
  {
    auto store = openStore();
    snap.id = must(store->saveSnapshot(snap));
    mustOk(store->saveServiceState("webui", json{{"attempts", json::array({2000})}}));
    intent.id = must(store->beginIntent(intent));
    incident.id = must(store->openIncident(incident));
    incident.updated_at_ms = incident.detected_at_ms;
    raised = must(store->upsertAlert(alert("webui/removed", "removed", 1950)));
    mustOk(store->ackAlert(raised.id));
    mustOk(store->putEvidence(ev));
    message_id = must(store->appendMessage("recovery_coordination", json{{"intent", intent.id}}));
  }
  auto store = openStore();
  EXPECT_EQ(must(store->latestSnapshot("webui")), snap);
  EXPECT_EQ(must(store->loadServiceStates()).at("webui"),
            (json{{"attempts", json::array({2000})}}));
  EXPECT_EQ(must(store->pendingIntents()), std::vector<IntentRecord>{intent});
  EXPECT_EQ(must(store->openIncidents()), std::vector<IncidentRecord>{incident});
  auto alert_row = must(store->getAlert(raised.id));
  ASSERT_TRUE(alert_row.has_value());
  EXPECT_TRUE(alert_row->acked);
  EXPECT_EQ(alert_row->state, AlertState::kFiring);
  EXPECT_EQ(must(store->getEvidence("ev-1")), ev);
  auto messages = must(store->messagesSince("recovery_coordination", 0, 10));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].id, message_id);
}

TEST_F(StoreTest, CommittedWritesSurviveAProcessThatDiesWithoutClosing) {
  std::filesystem::create_directories(dbPath().parent_path());
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child acknowledges writes and then dies without closing the store (no checkpoint,
    // no destructor), as medic would under kill -9.
    auto store = Store::open(dbPath());
    if (!store.ok()) ::_exit(2);
    IntentRecord intent;
    intent.service = "webui";
    intent.action = "restart";
    intent.created_at_ms = 1000;
    if (!(*store)->beginIntent(intent).ok()) ::_exit(3);
    if (!(*store)->saveServiceState("webui", json{{"attempts", 1}}).ok()) ::_exit(4);
    if (!(*store)->putEvidence(evidence("ev-crash", "webui", 1000)).ok()) ::_exit(5);
    ::_exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0);
  // The rows live only in the write-ahead log so far; reopening must recover them.
  auto wal = dbPath().string() + "-wal";
  ASSERT_TRUE(std::filesystem::exists(wal));
  EXPECT_GT(std::filesystem::file_size(wal), 0u);

  auto store = openStore();
  auto pending = must(store->pendingIntents());
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].action, "restart");
  EXPECT_EQ(must(store->loadServiceStates()).at("webui"), (json{{"attempts", 1}}));
  EXPECT_TRUE(must(store->getEvidence("ev-crash")).has_value());
}

TEST_F(StoreTest, DiskFullIsACleanIoErrorAndCommittedRowsStay) {
  auto store = openStore();
  mustOk(store->putEvidence(evidence("before", "webui", 1000)));
  auto raised = must(store->upsertAlert(alert("webui/down", "down", 1000)));
  mustOk(store->saveServiceState("webui", json{{"attempts", 1}}));

  int64_t cap = must(store->setMaxPageCountForTest(1));  // clamps to the current size
  EXPECT_GT(cap, 1);
  auto big = evidence("too-big", "webui", 2000);
  big.data_json["body"] = std::string(256 * 1024, 'x');
  auto full = store->putEvidence(big);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().kind, ErrorKind::kIo);
  EXPECT_TRUE(startsWith(full.error().message, "disk full:")) << full.error().message;

  // A multi-statement write (inside a transaction) fails the same way and leaves nothing half done.
  auto big_alert = alert("webui/down", std::string(256 * 1024, 'y'), 3000);
  auto alert_full = store->upsertAlert(big_alert);
  ASSERT_FALSE(alert_full.ok());
  EXPECT_TRUE(startsWith(alert_full.error().message, "disk full:")) << alert_full.error().message;
  std::vector<EvidenceRecord> batch = {evidence("b1", "webui", 1), big};
  auto batch_full = store->putEvidenceBatch(batch);
  ASSERT_FALSE(batch_full.ok());
  EXPECT_TRUE(startsWith(batch_full.error().message, "disk full:"));

  // Everything committed before is intact and readable; nothing of the failed writes is there.
  EXPECT_EQ(must(store->getEvidence("before")), evidence("before", "webui", 1000));
  EXPECT_EQ(must(store->getEvidence("too-big")), std::nullopt);
  EXPECT_EQ(must(store->getEvidence("b1")), std::nullopt);
  auto row = must(store->getAlert(raised.id));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->text, "down");
  EXPECT_EQ(row->fire_count, 1);
  EXPECT_EQ(must(store->loadServiceStates()).at("webui"), (json{{"attempts", 1}}));

  // When space returns, writes succeed again on the same connection.
  must(store->setMaxPageCountForTest(1'000'000));
  mustOk(store->putEvidence(big));
  EXPECT_TRUE(must(store->getEvidence("too-big")).has_value());
  store.reset();
  auto reopened = openStore();
  EXPECT_EQ(must(reopened->getEvidence("before")), evidence("before", "webui", 1000));
  EXPECT_TRUE(must(reopened->getEvidence("too-big")).has_value());
}

TEST(StoreInMemory, WorksWithoutAFile) {
  auto store = must(Store::open(":memory:"));
  mustOk(store->saveServiceState("webui", json{{"attempts", 1}}));
  EXPECT_EQ(must(store->loadServiceStates()).size(), 1u);
}

TEST(StoreDeploys, SavedUpdatedListedAndUnfinishedFound) {
  auto store = must(Store::open(":memory:"));
  DeployRecord a{"dep-1", "web", false, json{{"phase", "validate"}}, 1000, 1000};
  DeployRecord b{"dep-2", "api", true, json{{"phase", "done"}}, 2000, 2500};
  mustOk(store->saveDeploy(a));
  mustOk(store->saveDeploy(b));
  EXPECT_EQ(must(store->getDeploy("dep-1")), a);
  EXPECT_FALSE(must(store->getDeploy("nope")).has_value());
  auto unfinished = must(store->listDeploys(true, 10));
  ASSERT_EQ(unfinished.size(), 1u);
  EXPECT_EQ(unfinished[0].id, "dep-1");
  // Finishing keeps the creation time and updates the rest.
  a.finished = true;
  a.state_json = json{{"phase", "done"}};
  a.created_at_ms = 5;
  a.updated_at_ms = 3000;
  mustOk(store->saveDeploy(a));
  auto got = must(store->getDeploy("dep-1"));
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->finished);
  EXPECT_EQ(got->created_at_ms, 1000);
  EXPECT_EQ(got->updated_at_ms, 3000);
  EXPECT_TRUE(must(store->listDeploys(true, 10)).empty());
  auto all = must(store->listDeploys(false, 10));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "dep-2");  // newest first
  EXPECT_EQ(store->listDeploys(false, 0).error().kind, ErrorKind::kBadRequest);
}

}  // namespace
}  // namespace medic::store
