#include "store/schema.h"

namespace medic::store {
namespace {

// Times are Unix milliseconds (INTEGER); JSON is TEXT. AUTOINCREMENT where ids are shown to
// clients (alerts, incidents, intents, messages) so an id is never reused after a delete: an SSE
// client resuming with Last-Event-ID or an operator acking an alert must not hit a new row.
constexpr std::string_view kInitialSchema = R"sql(
CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  service TEXT NOT NULL,
  container_id TEXT NOT NULL,
  container_name TEXT NOT NULL,
  image_id TEXT NOT NULL,
  image_name TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  taken_at_ms INTEGER NOT NULL
);
CREATE INDEX snapshots_by_service ON snapshots (service, taken_at_ms DESC, id DESC);

CREATE TABLE service_state (
  service TEXT PRIMARY KEY,
  state_json TEXT NOT NULL
);

CREATE TABLE intents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  service TEXT NOT NULL,
  action TEXT NOT NULL,
  container_id TEXT NOT NULL,
  state_before_json TEXT NOT NULL,
  params_json TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  ok INTEGER,
  result_json TEXT,
  evidence_ids_json TEXT NOT NULL DEFAULT '[]',
  finished_at_ms INTEGER
);
CREATE INDEX intents_pending ON intents (id) WHERE finished_at_ms IS NULL;
CREATE INDEX intents_by_service ON intents (service, id);

CREATE TABLE incidents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  service TEXT NOT NULL,
  cause TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
  failed_at_ms INTEGER NOT NULL,
  detected_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  details_json TEXT NOT NULL,
  evidence_ids_json TEXT NOT NULL DEFAULT '[]',
  outcome TEXT NOT NULL DEFAULT '',
  recovered_at_ms INTEGER,
  detection_seconds REAL,
  recovery_seconds REAL
);
CREATE INDEX incidents_by_time ON incidents (detected_at_ms, id);
CREATE INDEX incidents_open ON incidents (id) WHERE state = 'open';

CREATE TABLE alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dedup_key TEXT NOT NULL,
  severity TEXT NOT NULL,
  service TEXT NOT NULL,
  title TEXT NOT NULL,
  text TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  resolved_at_ms INTEGER,
  acked INTEGER NOT NULL DEFAULT 0,
  fire_count INTEGER NOT NULL DEFAULT 1
);
-- At most one firing alert per dedup key; resolved ones are history.
CREATE UNIQUE INDEX alerts_firing_by_key ON alerts (dedup_key) WHERE state = 'firing';

CREATE TABLE evidence (
  id TEXT PRIMARY KEY,
  service TEXT NOT NULL,
  kind TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  hash TEXT NOT NULL,
  data_json TEXT NOT NULL
);
CREATE INDEX evidence_by_service ON evidence (service, time_ms DESC);
CREATE INDEX evidence_by_time ON evidence (time_ms);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  data_json TEXT NOT NULL
);
CREATE INDEX messages_by_channel ON messages (channel, id);
)sql";

// The deploy guard's records: one row per deploy, its state machine as JSON (resumed after a
// restart while unfinished, shown as the deploy report afterwards).
constexpr std::string_view kDeploys = R"sql(
CREATE TABLE deploys (
  id TEXT PRIMARY KEY,
  service TEXT NOT NULL,
  finished INTEGER NOT NULL,
  state_json TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE INDEX deploys_unfinished ON deploys (created_at_ms) WHERE finished = 0;
CREATE INDEX deploys_by_time ON deploys (created_at_ms DESC);
)sql";

// Binary attachments of evidence (a screenshot's PNG) live in the row itself, so a record and its
// bytes are stored, counted against retention and deleted together.
constexpr std::string_view kEvidenceBlobs = R"sql(
ALTER TABLE evidence ADD COLUMN blob BLOB;
)sql";

constexpr Migration kMigrations[] = {
    {1, "initial schema", kInitialSchema},
    {2, "deploys", kDeploys},
    {3, "evidence attachments", kEvidenceBlobs},
};

}  // namespace

std::span<const Migration> builtinMigrations() {
  return kMigrations;
}

}  // namespace medic::store
