#pragma once
/// medic's durable state: one SQLite file in the state dir (default /var/lib/medic/medic.db).
///
/// Crash safety (DESIGN §4): WAL journal with synchronous=FULL, so every method that returns Ok has
/// committed durably — nothing is acknowledged before it is committed, and kill -9 at any instant
/// loses only the call in progress. Intents are written before actions (beginIntent) and
/// reconciled on start (pendingIntents). A file that is not a database or fails quick_check is
/// reported, never recreated; a full disk is an error value, never a crash.
///
/// Threading: Store is blocking and NOT thread-safe. Use it from one thread at a time (the daemon
/// owns it on a single worker thread or strand and posts results back to the loop). Other
/// processes may open the same file; SQLite's locking and the busy timeout serialize them.
///
/// Errors: kIo for the file ("store is corrupt: ..." and "disk full: ..." are distinct message
/// prefixes), kNotFound for an unknown id, kConflict for a state that forbids the change,
/// kBadRequest for invalid arguments, kTimeout when another process holds the lock too long.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/records.h"
#include "store/schema.h"

namespace medic::store {

namespace sqlite {
class Connection;
}

struct StoreOptions {
  int snapshot_history = 10;   ///< newest snapshots kept per service (plus one per recent image)
  int busy_timeout_ms = 5000;  ///< how long to wait for another process's lock
};

class Store {
 public:
  using Options = StoreOptions;

  /// Opens or creates the store at `path` (":memory:" for a private in-memory store, without
  /// WAL), creating parent directories. Checks integrity first (PRAGMA quick_check) and only then
  /// configures WAL and migrates, so a damaged file is never written to: it comes back as kIo
  /// "store is corrupt: ..." and the daemon goes observe-only. A store written by a newer medic
  /// (higher schema version) is refused rather than guessed at.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& path,
                                             Options options = {});
  /// As open(), with a custom migration list (to test the migration runner itself).
  static Result<std::unique_ptr<Store>> openWithMigrationsForTest(
      const std::filesystem::path& path, std::span<const Migration> migrations,
      Options options = {});

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& path() const;
  /// The version recorded in the meta table (equals latestSchemaVersion() after open).
  Result<int> schemaVersion();
  static int latestSchemaVersion();

  // ---- Spec snapshots ----

  /// Records a known good container spec; returns the snapshot id. Saving the same container
  /// with the same image and spec as the newest snapshot only refreshes its time (no new row).
  /// Keeps the newest `snapshot_history` rows per service, plus the newest row of each of the
  /// last `snapshot_history` distinct images, so a rollback target survives many snapshots of the
  /// current image.
  Result<int64_t> saveSnapshot(const SnapshotRecord& snapshot);
  Result<std::optional<SnapshotRecord>> latestSnapshot(std::string_view service);
  /// Newest first.
  Result<std::vector<SnapshotRecord>> snapshotHistory(std::string_view service);
  /// The newest snapshot whose image differs from `excluding_image_id` (the one that is failing):
  /// the rollback target. nullopt when the service never ran healthy on another image.
  Result<std::optional<SnapshotRecord>> lastHealthyImage(std::string_view service,
                                                         std::string_view excluding_image_id);

  // ---- Per-service supervisor state (opaque JSON: attempts, escalated flag, flap counter) ----

  Status saveServiceState(std::string_view service, const nlohmann::json& state);
  Result<std::map<std::string, nlohmann::json>> loadServiceStates();
  Status deleteServiceState(std::string_view service);

  // ---- Intents: written before an action, finished after it ----

  /// Stores a pending intent (id, ok, result, evidence and finished time are ignored); returns
  /// its id. Call BEFORE the Docker request so a crash mid-action is found on restart.
  Result<int64_t> beginIntent(const IntentRecord& intent);
  /// Records the outcome: the engine's answer (error body included) and the evidence ids taken
  /// after. kNotFound for an unknown id, kConflict when the intent was already finished.
  Status finishIntent(int64_t id, bool ok, const nlohmann::json& result_json,
                      int64_t finished_at_ms, const std::vector<std::string>& evidence_ids = {});
  /// Intents begun and never finished (medic died mid-action), oldest first.
  Result<std::vector<IntentRecord>> pendingIntents();
  /// A service's action records, newest first, at most `limit` (> 0).
  Result<std::vector<IntentRecord>> listIntents(std::string_view service, int limit);

  // ---- Incidents ----

  /// Stores a new open incident (id, state and close fields are ignored); returns its id.
  Result<int64_t> openIncident(const IncidentRecord& incident);
  /// Sets attempts and details of an open incident and appends evidence ids (kConflict when it
  /// is closed, kNotFound when unknown).
  Status updateIncident(int64_t id, int attempts, const nlohmann::json& details_json,
                        int64_t updated_at_ms, const std::vector<std::string>& evidence_ids = {});
  /// Changes the cause of an open incident that turned into another kind (a removal whose
  /// replacement then failed: `replacement_failed`); kConflict when closed, kNotFound when unknown.
  Status reclassifyIncident(int64_t id, std::string_view cause, int64_t updated_at_ms);
  /// Closes an open incident with its outcome and measured times; appends evidence ids.
  /// recovered_at_ms/recovery_seconds are nullopt when it never recovered (escalated).
  Status closeIncident(int64_t id, std::string_view outcome, std::optional<int64_t> recovered_at_ms,
                       std::optional<double> detection_seconds,
                       std::optional<double> recovery_seconds, int attempts,
                       const std::vector<std::string>& evidence_ids = {});
  Result<std::optional<IncidentRecord>> getIncident(int64_t id);
  /// Incidents detected at or after `since_ms`, oldest first.
  Result<std::vector<IncidentRecord>> listIncidents(int64_t since_ms);
  /// Incidents still open, oldest first (reconciled on start).
  Result<std::vector<IncidentRecord>> openIncidents();

  // ---- Alerts ----

  /// Raises an alert. While an alert with the same dedup key fires, it updates that row
  /// (severity, title, text, updated_at, fire_count+1; created_at and acked are kept) instead of
  /// adding one. After it resolved, the same key starts a new alert. id/state/acked/resolved_at/
  /// fire_count of `alert` are ignored.
  Result<AlertUpsert> upsertAlert(const AlertRecord& alert);
  /// Resolves the firing alert with this key; false when none was firing.
  Result<bool> resolveAlert(std::string_view dedup_key, int64_t at_ms);
  /// Marks an alert acknowledged (idempotent); kNotFound for an unknown id.
  Status ackAlert(int64_t id);
  Result<std::optional<AlertRecord>> getAlert(int64_t id);
  /// Newest first; only firing ones when `only_firing`.
  Result<std::vector<AlertRecord>> listAlerts(bool only_firing);

  // ---- Evidence ----

  /// Stores evidence. Evidence is immutable: putting the same id again with the same hash is a
  /// no-op (a retry after a crash), with a different hash it is kConflict.
  Status putEvidence(const EvidenceRecord& evidence);
  /// As putEvidence, with a binary attachment (a screenshot's PNG) kept in the same row, so the
  /// record and its bytes are counted against retention and deleted together.
  Status putEvidenceWithBlob(const EvidenceRecord& evidence, std::string_view blob);
  /// Stores several in one transaction (all or nothing): one fsync instead of one per row.
  Status putEvidenceBatch(std::span<const EvidenceRecord> batch);
  Result<std::optional<EvidenceRecord>> getEvidence(std::string_view id);
  /// The attachment of a record: nullopt when the id is unknown, "" when it has none.
  Result<std::optional<std::string>> getEvidenceBlob(std::string_view id);
  /// Every record's id, time and size (data JSON + attachment), oldest first: what retention reads.
  Result<std::vector<EvidenceFootprint>> evidenceFootprints();
  /// Deletes these records (unknown ids are skipped) in one transaction; returns rows deleted.
  Result<int64_t> deleteEvidence(std::span<const std::string> ids);
  /// Newest first, at most `limit` (> 0); an empty `service` lists every service.
  Result<std::vector<EvidenceRecord>> listEvidence(std::string_view service, int limit);
  /// Deletes evidence older than `older_than_ms`, then the oldest rows beyond the newest
  /// `max_rows` (max_rows <= 0: no row cap). Returns how many rows were deleted.
  Result<int64_t> pruneEvidence(int64_t older_than_ms, int64_t max_rows);

  // ---- Channel messages (SSE replay) ----

  /// Appends a message; returns its id, strictly greater than every id returned before by this
  /// store file (also across restarts and prunes).
  Result<int64_t> appendMessage(std::string_view channel, const nlohmann::json& data);
  /// Messages on `channel` with id > after_id, oldest first, at most `limit` (> 0).
  Result<std::vector<MessageRecord>> messagesSince(std::string_view channel, int64_t after_id,
                                                   int limit);
  /// The newest `limit` (> 0) messages on `channel`, oldest first (recent activity for dashboards).
  Result<std::vector<MessageRecord>> latestMessages(std::string_view channel, int limit);
  /// The highest message id ever assigned (0 when none): where a new SSE client starts.
  Result<int64_t> lastMessageId();
  /// Deletes all but the newest `max_rows` messages (all channels); returns rows deleted.
  Result<int64_t> pruneMessages(int64_t max_rows);

  // ---- Deploys ----

  /// Inserts or replaces the deploy with this id (created_at_ms is kept from the first save).
  Status saveDeploy(const DeployRecord& deploy);
  Result<std::optional<DeployRecord>> getDeploy(std::string_view id);
  /// Newest first, at most `limit` (> 0); only unfinished ones when `only_unfinished`.
  Result<std::vector<DeployRecord>> listDeploys(bool only_unfinished, int limit);

  // ---- Test hooks ----

  /// Caps the database at `pages` pages (SQLite clamps to the current size), so tests can make
  /// the next growing write fail like a full disk. Returns the cap in effect.
  Result<int64_t> setMaxPageCountForTest(int64_t pages);

 private:
  Store(std::unique_ptr<sqlite::Connection> conn, Options options);
  static Result<std::unique_ptr<Store>> openImpl(const std::filesystem::path& path,
                                                 std::span<const Migration> migrations,
                                                 Options options);
  Status configure(bool in_memory);
  Status migrate(std::span<const Migration> migrations);
  Status insertEvidence(const EvidenceRecord& evidence, std::string_view blob);

  std::unique_ptr<sqlite::Connection> conn_;
  Options options_;
};

}  // namespace medic::store
