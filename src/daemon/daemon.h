#pragma once
/// `medic watch`: the shell around the supervisor core. It owns the I/O — the engine's event stream,
/// periodic resyncs, probe timers, action execution, the store, the HTTP API — on one io_context,
/// and turns all of it into observations for the core and the core's decisions into actions.
///
/// Reliability rules it implements (DESIGN §4): subscribe to events before listing (the stream
/// starts from a `since` before the list), resume from the last event seen, re-list after every
/// reconnect and on a timer; intents are written to the store before every action and the core's
/// persistent state after every decision, so kill -9 loses no attempt count.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "alerts/alert_queue.h"
#include "bus/bus.h"
#include "check/fresh.h"
#include "config/config.h"
#include "core/result.h"
#include "core/time.h"
#include "deploy/machine.h"
#include "evidence/secret_box.h"
#include "docker/docker_api.h"
#include "evidence/evidence.h"
#include "evidence/ledger.h"
#include "http/router.h"
#include "http/server.h"
#include "mcp/http_endpoint.h"
#include "metrics/medic_metrics.h"
#include "probes/hysteresis.h"
#include "services/selection.h"
#include "services/verdict.h"
#include "store/store.h"
#include "supervisor/supervisor.h"

namespace medic::daemon {

/// Hooks that exist only for the integration tests; `medic watch` sets them from MEDIC_TEST_*
/// environment variables (never from the config), and a normal run has them all off.
struct TestHooks {
  Millis wedge_after{0};     ///< > 0: wedge medic this long after start
  bool wedge_loop = true;    ///< true: block the loop thread; false: stall only the resync passes
  Millis recreate_delay{0};  ///< pause between creating and starting a recreated container
};

struct DaemonOptions {
  config::Config config;
  std::string state_dir;
  bool all = false;              ///< protect every container (--all)
  std::string listen_override;   ///< --listen
  supervisor::Options core;
  TestHooks test_hooks;
  /// Called once on the loop when medic is ready: the first resync pass is done (or the engine
  /// was found unreachable, which medic then reports while it keeps serving).
  std::function<void()> on_ready;
  /// The engine medic talks to; unset: EngineClient on `config.docker`. Tests inject a fake.
  std::function<std::unique_ptr<docker::DockerApi>(boost::asio::any_io_executor)> make_docker;
  /// Where `Now` comes from for the core, evidence and records; unset: the system clocks.
  /// (The loop's own timers still run on the steady clock.)
  std::shared_ptr<const Clock> clock;
};

class Daemon {
 public:
  Daemon(boost::asio::io_context& io, DaemonOptions options);
  ~Daemon();

  /// Ordered start: state dir, store, token, HTTP server, daemon.json, engine loops. Fails with a
  /// message naming the step; a corrupt store is not a failure (observe-only, critical alert).
  Status start();
  /// Graceful stop: stops accepting work and starts no new action; actions in flight (a recreate)
  /// get up to `shutdown_timeout` to finish and record their result, then the loop ends (io.run()
  /// returns). An action still running then keeps its pending intent, reconciled at next start.
  void stop();

  /// Applies a new config (SIGHUP): services added, removed or changed, probes, selection,
  /// recovery settings, resync interval and alert sinks. `listen`, `docker`, `docker_timeout` and
  /// `state_dir` need a restart: a change to them is logged and the running value stays. Fails
  /// (and changes nothing) when the new alert sinks cannot be built.
  Status reload(config::Config next);

  /// True while the loop makes progress: a resync pass (or, with the engine unreachable, a
  /// reconnect attempt) completed within `stall_timeout`. The systemd watchdog pings only then.
  bool makingProgress() const;

  std::string url() const;
  /// The compose project of a protected service ("" when it has none or is unknown).
  std::string composeProject(const std::string& service) const;
  /// The HTTP server's Host list and tokens from the config (reads metrics_token_file).
  Result<http::SecurityPolicy> securityPolicy(const config::Config& cfg) const;
  /// external_url, else http(s)://<listen>/: the link alerts carry to the dashboard.
  std::string dashboardUrl(const config::Config& cfg) const;
  bool observeOnly() const { return observe_only_; }

  /// Status document served at /api/v1/status (and used by `medic status`).
  nlohmann::json statusJson() const;
  /// statusJson() serialized, with the services part spliced in from its cached text.
  std::string statusBody() const;
  nlohmann::json statusHead(Now t, const nlohmann::json& services) const;
  const nlohmann::json& cachedServices(Now t) const;
  /// The `services` array of the status document.
  nlohmann::json servicesJson(Now t) const;
  /// What /metrics reads at scrape time (never blocks).
  metrics::Snapshot metricsSnapshot() const;
  /// Brings the alert-sink failure/drop counters up to the queue's totals (before each scrape).
  void syncCounterMetrics();

 private:
  /// Screenshots of one probe with `screenshot: true`.
  struct ShotState {
    std::optional<SteadyTime> last_at;  ///< when the last capture started
    std::optional<bool> last_ok;        ///< the probe result it was taken for
    bool in_flight = false;
    bool warned = false;       ///< "Chromium is missing" is logged once per probe
    std::string evidence_id;   ///< the newest screenshot evidence
  };
  /// Probe results and thresholds of one service; counters start fresh per container.
  struct ProbeState {
    uint64_t generation = 0;
    std::string container_id;
    std::vector<probes::ProbeTracker> trackers;
    std::vector<services::ProbeResult> last;
    std::vector<std::optional<double>> latency_ms;  ///< of each result in `last`, when measured
    std::optional<WallTime> checked_at;             ///< when `last` was taken
    std::optional<bool> last_sent;
    std::map<size_t, ShotState> shots;  ///< by probe result index
  };
  /// What the dashboards show of a service's container beyond its state (from the last inspect).
  struct ContainerFacts {
    std::string started_at;  ///< RFC 3339 as the engine wrote it; empty when never started
    int restart_count = 0;   ///< Docker's restarts of this container (its restart policy)
  };
  /// An endpoint (`endpoints:` in medic.yaml), probed on its own interval.
  struct EndpointState {
    config::EndpointConfig config;
    probes::ProbeTracker tracker{1, 1};
    std::optional<check::EndpointResult> last;
    WallTime last_at{};
    ShotState shot;  ///< when its probe asks for `screenshot: true`
  };
  /// The newest record of some kind about a service, as cited by the status.
  struct EvidenceRef {
    std::string id;
    WallTime time{};
  };

  Now now() const;
  /// Runs `make()` detached on the loop. An exception that escapes it is never swallowed: it is
  /// logged and raised as a critical `internal_error` alert, `on_failure` cleans up after it, and
  /// a loop (`restart`) starts again a second later instead of ending in silence.
  void spawn(std::string what, std::function<boost::asio::awaitable<void>()> make,
             bool restart = false, std::function<void(const std::string&)> on_failure = {});
  void feed(const supervisor::Observation& o);
  void apply(supervisor::Decision d);
  void handleNotice(const supervisor::Notice& n);
  void persist(const std::string& service);
  void exportRecoveryState();
  void armWakeTimer();

  boost::asio::awaitable<void> eventLoop();
  boost::asio::awaitable<void> resyncLoop();
  /// Samples Docker stats (CPU, memory) of every protected running container in the background;
  /// /metrics and the status serve the latest sample and never wait for one.
  boost::asio::awaitable<void> statsLoop();
  boost::asio::awaitable<void> evidenceFlushLoop();
  /// Enforces evidence retention (age, size, what open incidents and unacked alerts cite) every
  /// evidence.prune_interval, on a worker thread with its own store connection.
  boost::asio::awaitable<void> retentionLoop();
  /// Starts a screenshot of probe `index` of `service` (or of the endpoint whose subject is
  /// `service`, index 0) when it asks for one and one is due: never taken, its result changed, or
  /// the last is older than evidence.screenshot_interval.
  void maybeScreenshot(const std::string& service, uint64_t generation, size_t index,
                       const config::ProbeConfig& probe, bool ok, const std::string& probe_evidence);
  boost::asio::awaitable<void> screenshot(std::string service, uint64_t generation, size_t index,
                                          config::ProbeConfig probe, std::string probe_evidence);
  /// The screenshot state of probe `index` of a service, or of an endpoint (subject
  /// "endpoint:NAME"), while `generation` is still current; nullptr otherwise.
  ShotState* findShot(const std::string& subject, uint64_t generation, size_t index);
  void flushEvidence();
  static constexpr Millis kEvidenceFlushInterval{500};
  boost::asio::awaitable<void> resync();
  /// The passes of one resync (resync() runs them and clears resync_running_ however they end).
  boost::asio::awaitable<void> resyncPasses();
  /// Inspects (service, container id) pairs at once; the answers by service (failures left out).
  boost::asio::awaitable<std::map<std::string, docker::ContainerInfo>> inspectContainers(
      std::vector<std::pair<std::string, std::string>> targets);
  static constexpr size_t kResyncInspectWidth = 16;
  void requestResync();
  boost::asio::awaitable<void> probeLoop(std::string service, uint64_t generation);
  boost::asio::awaitable<void> execute(supervisor::Action action);
  boost::asio::awaitable<void> executeAction(supervisor::Action action);
  /// Waits for the actions in flight (bounded by shutdown_timeout), then finishStop().
  boost::asio::awaitable<void> drainThenFinish();
  void finishStop();
  void noteProgress();
  /// Whether `s` is still protected under the current config (after a reload).
  bool stillSelected(const services::ProtectedService& s) const;
  boost::asio::awaitable<void> wedgeForTest();
  /// The create body a snapshot stored, with its sealed secrets opened.
  Result<nlohmann::json> snapshotBody(const store::SnapshotRecord& snap) const;
  boost::asio::awaitable<Result<std::string>> recreate(const std::string& service,
                                                       const store::SnapshotRecord& snapshot,
                                                       const std::string& current_id,
                                                       Millis stop_timeout);
  boost::asio::awaitable<void> takeSnapshot(const std::string& service,
                                            const std::string& container_id);
  boost::asio::awaitable<void> removeOldCopy(std::string service);
  void onEvent(const docker::Event& e);
  std::optional<std::string> serviceForEvent(const docker::Event& e);
  void registerRoutes();
  void registerChannelRoutes();
  /// Server-sent events of `names` on one connection: the replay after Last-Event-ID / ?since
  /// (merged in id order), then live messages (channel_routes.cc).
  http::Response streamChannels(const http::Request& req,
                                const std::shared_ptr<http::EventStream>& stream,
                                const std::vector<std::string>& names);
  /// GET /api/v1/incidents and /api/v1/actions (history.cc).
  void registerHistoryRoutes();
  /// Copies the supervisor's incident of `service` into the store as it opens, progresses and
  /// closes (history.cc).
  void recordIncident(const std::string& service);
  void loadOpenIncidents();
  /// /api/v1/evidence (list), /api/v1/claims, /api/v1/gates/{phase} (validation.cc).
  void registerValidationRoutes();
  boost::asio::awaitable<http::Response> answerClaim(http::Request req);
  /// POST /api/v1/gates/{phase}: at most kMaxGatesAtOnce at once (429 beyond), each runGate.
  boost::asio::awaitable<http::Response> answerGate(http::Request req);
  boost::asio::awaitable<http::Response> runGate(http::Request req);
  static constexpr int kMaxGatesAtOnce = 2;
  int gates_running_ = 0;
  /// GET /api/v1/baseline/diff (baseline_routes.cc).
  void registerBaselineRoutes();
  boost::asio::awaitable<http::Response> answerBaselineDiff(http::Request req);
  /// Queues a record for the next flush (nothing is stored when the store is unusable).
  void recordEvidence(const evidence::Evidence& ev);
  /// The newest result of a probe or of a Docker state: the ledger decides whether it is a new row
  /// (a change of verdict, or the once-a-minute sample); else it stays in memory until cited.
  void offerEvidence(const std::string& source, const std::string& verdict,
                     const evidence::Evidence& ev);
  /// Whatever cites records (the core, a claim, a channel message, a lookup by id) writes those
  /// held only in memory.
  void citeEvidence(const std::vector<std::string>& ids);
  /// A failed validation (rejected claim, failed gate) raises a warning; a pass resolves it.
  void validationAlert(const std::string& key, const std::string& service, bool failed,
                       const std::string& title, const std::string& text);
  /// Endpoints (endpoints.cc): one loop each, on its own interval, with ProbeTracker hysteresis.
  /// startEndpoints (at start and on reload) rebuilds them from the config, keeping the state of
  /// endpoints whose definition did not change, and starts a new generation of loops.
  void startEndpoints();
  boost::asio::awaitable<void> endpointLoop(size_t index, uint64_t generation);
  nlohmann::json endpointsJson(WallTime now) const;
  /// Publishes on a channel (DESIGN §5); failures are logged, never fatal.
  void publish(std::string channel, std::string type, std::string service, std::string severity,
               nlohmann::json data, std::vector<std::string> evidence = {});
  /// The names given so far, so a container identity keeps its name (services::selectServices).
  std::vector<services::KnownName> knownNames() const;
  /// Puts the image reference the container was created with back into `spec` when it still
  /// resolves to the pinned image id.
  boost::asio::awaitable<void> keepImageReference(docker::ContainerSpec& spec);
  void rememberService(const services::ProtectedService& s);
  void loadKnownServices();
  /// Stops protecting a service, here and in the store (else the next start would bring it back
  /// from its remembered definition). Called where no coroutine holds a reference into
  /// services_: on reload, and at the start of a resync for the services the core retired.
  void forgetService(const std::string& name, const std::string& why);
  /// For the destroy of a compose container: its project's compose files (read from the label
  /// compose put on it) no longer declare its service. False when they do or cannot be read.
  static bool composeOrphan(const docker::Event& e);

  // ---- guarded deploys (deploys.cc) ----
  /// One deploy in progress: its pure state machine and the answers the API queued for it.
  struct DeployRun {
    std::unique_ptr<deploy::Machine> machine;
    std::vector<deploy::Answer> answers;
    int64_t created_ms = 0;
    /// The service's state when the deploy was asked for, before the guard (preflight judges it).
    std::string state_before;
  };
  void registerDeployRoutes();
  /// Validates a POST /api/v1/deploys body and starts the deploy; the HTTP status on failure.
  Result<nlohmann::json> startDeploy(const nlohmann::json& body);
  /// Unfinished deploys found in the store at start: each resumes (finishes or rolls back).
  void resumeDeploys();
  /// Runs runDeploy detached; an exception lifts the guard (the stored deploy resumes at start).
  void spawnDeploy(const std::string& id, deploy::Output first);
  boost::asio::awaitable<void> runDeploy(std::string id, deploy::Output first);
  boost::asio::awaitable<deploy::StepDone> deployStep(const std::string& id, deploy::Step step);
  boost::asio::awaitable<deploy::ProbeRound> deployProbe(const std::string& id);
  boost::asio::awaitable<void> endDeploy(const std::string& id);
  void saveDeploy(const std::string& id);
  void deployNotice(const deploy::Plan& plan, const deploy::Notice& n, const nlohmann::json& report);
  /// The report of a running or stored deploy; nullopt when unknown.
  std::optional<nlohmann::json> deployReport(const std::string& id);
  Result<std::optional<store::SnapshotRecord>> snapshotById(const std::string& service, int64_t id);

  boost::asio::io_context& io_;
  DaemonOptions options_;
  std::shared_ptr<const Clock> clock_;
  /// Blocking side work (Chromium captures, retention) runs here, never on the loop.
  boost::asio::thread_pool background_{2};
  std::shared_ptr<std::atomic<bool>> cancel_background_ = std::make_shared<std::atomic<bool>>(false);
  std::unique_ptr<docker::DockerApi> docker_;
  std::unique_ptr<store::Store> store_;
  /// Seals the secrets medic must keep (snapshot env values, probe URL passwords) before they are
  /// stored; the key is `secret.key` in the state dir.
  std::optional<evidence::SecretBox> secrets_;  ///< incident rows for `medic report`
  bool observe_only_ = false;
  std::string store_error_;
  std::unique_ptr<supervisor::Supervisor> core_;
  std::unique_ptr<alerts::AlertQueue> alerts_;
  std::unique_ptr<metrics::MedicMetrics> metrics_;
  std::unique_ptr<bus::Bus> bus_;  ///< channels; persisted in the store when it is usable
  std::unique_ptr<mcp::HttpEndpoint> mcp_;  ///< MCP at /mcp (src/mcp); before bus_ in teardown
  std::map<std::string, std::string> last_action_;  ///< service → last recovery action kind
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::string token_;
  boost::asio::steady_timer wake_timer_;
  boost::asio::steady_timer resync_kick_;
  bool stopping_ = false;
  int in_flight_ = 0;  ///< actions executing now (stop() waits for them)
  SteadyTime last_progress_;
  std::optional<WallTime> last_resync_;  ///< when the last full resync pass completed
  bool ready_sent_ = false;
  bool wedged_resync_ = false;  ///< TestHooks: resync passes hang from now on
  SteadyTime started_at_;
  /// Alert queues replaced by a reload: stopped, kept until the daemon goes (a sink coroutine may
  /// still be finishing its delivery).
  std::vector<std::unique_ptr<alerts::AlertQueue>> retired_alerts_;

  std::map<std::string, services::ProtectedService> services_;  ///< protected, by name
  std::map<std::string, std::string> container_service_;        ///< container id → service
  std::map<std::string, std::unique_ptr<ProbeState>> probes_;
  std::map<std::string, std::string> old_copies_;
  std::map<std::string, docker::Stats> stats_;  ///< service → latest Docker stats sample
  std::map<std::string, ContainerFacts> container_facts_;  ///< service → its container's facts
  std::map<std::string, int> recovery_actions_;  ///< service → actions medic started since start
  std::vector<store::EvidenceRecord> pending_evidence_;  ///< evidence not yet flushed
  /// The newest probe and Docker state results, held in memory until they are worth a row.
  evidence::EvidenceLedger ledger_;
  std::map<std::string, EvidenceRef> docker_evidence_;  ///< service → newest docker_state record
  std::vector<EndpointState> endpoints_;
  uint64_t endpoints_generation_ = 0;  ///< a loop whose generation is gone ends
  uint64_t state_version_ = 0;  ///< bumped whenever anything the status shows may have changed
  mutable std::optional<nlohmann::json> services_cache_;
  mutable std::string services_cache_text_;  ///< services_cache_, serialized once per version
  mutable uint64_t services_cache_version_ = 0;
  mutable SteadyTime services_cache_built_{};
  static constexpr Millis kServicesCacheMaxAge{1000};
  /// Alert sink → (failed, dropped) totals already passed to the metrics counters.
  std::map<std::string, std::pair<uint64_t, uint64_t>> sink_counts_seen_;
  bus::BusCounters bus_counts_seen_;
  /// Services medic is recreating right now: their new container is medic's own, not a replacement
  /// to adopt, so events and resync observations wait until the action's result is in.
  std::set<std::string> recreating_;  ///< service → renamed-aside container id
  std::map<std::string, DeployRun> deploys_;      ///< running deploys by id
  std::map<std::string, std::string> deploying_;  ///< service → id of its running deploy
  uint64_t probe_generation_ = 0;
  /// The store row of each service's latest incident, keyed by its detection time.
  struct IncidentRow {
    int64_t id = 0;
    int64_t detected_ms = 0;
    int attempts = 0;
    bool closed = false;
    std::string cause;  ///< as stored; an incident can turn into another kind while open
  };
  std::map<std::string, IncidentRow> incident_rows_;
  int64_t last_event_time_ = 0;  ///< unix seconds of the newest event seen
  bool engine_reachable_ = true;
  bool resync_running_ = false;
  bool resync_again_ = false;
  std::vector<std::string> retiring_;  ///< retired by the core; forgotten at the next resync
  int reconnects_ = 0;
};

}  // namespace medic::daemon
