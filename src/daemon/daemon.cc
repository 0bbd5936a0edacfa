#include "daemon/daemon.h"
#include "probes/exec_probe.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "alerts/configure.h"
#include "check/bounded_parallel.h"
#include "check/check_pass.h"
#include "core/atomic_file.h"
#include "core/duration.h"
#include "core/log.h"
#include "daemon/persist.h"
#include "daemon/status.h"
#include "daemon/translate.h"
#include "services/compose_file.h"
#include "docker/engine_client.h"
#include "docker/spec.h"
#include "http/client.h"
#include "metrics/process_metrics.h"

namespace medic::daemon {
namespace asio = boost::asio;
using supervisor::Observation;

namespace {

/// What a Docker state record says, without what changes on every look (times, log tails): the
/// same container in the same state is the same verdict, and not a new evidence row.
std::string dockerStateVerdict(const nlohmann::json& data) {
  if (!data.contains("container_id")) return "absent";
  std::string health = "none";
  if (data.contains("health") && data["health"].is_object()) {
    health = data["health"].value("status", "");
  }
  return data.value("container_id", "") + " " + data.value("status", "") + " " +
         std::to_string(data.value("exit_code", 0)) + " " + data.value("started_at", "") + " " +
         std::to_string(data.value("restart_count", 0)) + " " + health;
}

asio::awaitable<void> sleepFor(Millis d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}


}  // namespace

Daemon::Daemon(asio::io_context& io, DaemonOptions options)
    : io_(io),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : std::make_shared<const SystemClock>()),
      wake_timer_(io),
      resync_kick_(io) {
  if (options_.make_docker) {
    docker_ = options_.make_docker(io.get_executor());
  } else {
    docker_ = std::make_unique<docker::EngineClient>(io.get_executor(), options_.config.docker,
                                                     options_.config.docker_timeout,
                                                     options_.config.docker_api_version);
  }
  auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
  core_ = std::make_unique<supervisor::Supervisor>(
      std::vector<supervisor::ServiceDef>{},
      [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); }, options_.core);
  started_at_ = std::chrono::steady_clock::now();
  last_progress_ = started_at_;
}

Daemon::~Daemon() {
  // A capture in progress notices this within 100 ms, kills Chromium and returns.
  cancel_background_->store(true);
  background_.join();
}

Now Daemon::now() const { return clock_->now(); }

void Daemon::spawn(std::string what, std::function<asio::awaitable<void>()> make, bool restart,
                   std::function<void(const std::string&)> on_failure) {
  auto task = make();
  asio::co_spawn(
      io_, std::move(task),
      [this, what = std::move(what), make = std::move(make), restart,
       on_failure = std::move(on_failure)](const std::exception_ptr& e) {
        if (!e) return;
        std::string why = "an unknown exception";
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          why = x.what();
        } catch (...) {
        }
        const bool again = restart && !stopping_;
        handleNotice(supervisor::Notice{
            "internal_error", supervisor::Severity::kCritical, "",
            fmt::format("{} failed inside medic: {}{}", what, why,
                        again ? "; it starts again in 1 s" : ""),
            {{"task", what}, {"error", why}}});
        if (on_failure) on_failure(why);
        if (!again) return;
        auto timer = std::make_shared<asio::steady_timer>(io_, Millis(1000));
        timer->async_wait([this, timer, what, make, restart](boost::system::error_code ec) {
          if (!ec && !stopping_) spawn(what, make, restart);
        });
      });
}

Status Daemon::start() {
  namespace fs = std::filesystem;
  const auto& dir = options_.state_dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return Error::make(ErrorKind::kIo, "cannot create the state dir " + dir + ": " + ec.message() +
                                           " (pass --state-dir to use another)");
  }
  fs::create_directories(fs::path(dir) / "logs", ec);
  fs::create_directories(fs::path(dir) / "alerts", ec);

  auto box = evidence::SecretBox::loadOrCreate(fs::path(dir) / "secret.key");
  if (!box) return Error::make(ErrorKind::kIo, "secret key: " + box.error().message);
  secrets_ = std::move(*box);

  // Store: a corrupt store means observe-only with a critical alert, never a silent reset.
  auto opened = store::Store::open(fs::path(dir) / "medic.db");
  if (opened) {
    store_ = std::move(*opened);
    loadKnownServices();
    loadOpenIncidents();
  } else {
    observe_only_ = true;
    store_error_ = opened.error().message;
    spdlog::critical("store {}/medic.db unusable: {} — medic observes but repairs nothing until "
                     "it is fixed (move the file aside to start afresh)",
                     dir, store_error_);
  }

  auto token = http::loadOrCreateToken(dir);
  if (!token) return Error::make(ErrorKind::kIo, "token: " + token.error().message);
  token_ = *token;

  options_.config.alerts.dashboard_url = dashboardUrl(options_.config);
  // Alerts: the log and critical-file sinks always, plus what medic.yaml's alerts.sinks asks for.
  alerts_ = std::make_unique<alerts::AlertQueue>(io_.get_executor(), store_.get());
  if (auto st = alerts::addConfiguredSinks(*alerts_, options_.config.alerts, dir); !st) {
    return st.error();
  }
  if (auto st = alerts_->start(); !st) {
    spdlog::error("alerts: {}", st.error().message);
  }
  metrics_ = std::make_unique<metrics::MedicMetrics>();
  metrics::addProcessMetrics(metrics_->registry());
  metrics_->setSnapshotSource([this] { return metricsSnapshot(); });
  bus_ = std::make_unique<bus::Bus>(store_.get());

  registerRoutes();
  auto policy = securityPolicy(options_.config);
  if (!policy) return policy.error();
  server_ = std::make_unique<http::Server>(io_.get_executor(), router_, std::move(*policy));
  if (const auto& cfg = options_.config; !cfg.tls_cert_file.empty()) {
    if (auto st = server_->useTls(cfg.tls_cert_file, cfg.tls_key_file); !st) return st.error();
  }
  const std::string listen =
      options_.listen_override.empty() ? options_.config.listen : options_.listen_override;
  if (auto st = server_->listen(listen); !st) return st.error();
  nlohmann::json info = {{"url", url()}, {"pid", static_cast<int>(getpid())}};
  if (auto st = writeFileAtomic(fs::path(dir) / "daemon.json", info.dump() + "\n", 0644); !st) {
    return st.error();
  }
  spdlog::info("medic {} watching (engine {}, API on {}, state in {})", MEDIC_VERSION,
               options_.config.docker, url(), dir);
  if (observe_only_) {
    supervisor::Notice n{"store_corrupt", supervisor::Severity::kCritical, "",
                         "store is unusable: " + store_error_ +
                             " — medic is observe-only (no repairs) until it is fixed",
                         {}};
    handleNotice(n);
  }

  resumeDeploys();
  spawn("the engine event loop", [this] { return eventLoop(); }, /*restart=*/true);
  spawn("the resync timer", [this] { return resyncLoop(); }, /*restart=*/true);
  spawn("the stats sampler", [this] { return statsLoop(); }, /*restart=*/true);
  spawn("the evidence writer", [this] { return evidenceFlushLoop(); }, /*restart=*/true);
  startEndpoints();
  if (options_.test_hooks.wedge_after.count() > 0) {
    spawn("the wedge test hook", [this] { return wedgeForTest(); });
  }
  if (store_) spawn("evidence retention", [this] { return retentionLoop(); }, /*restart=*/true);
  return Ok{};
}

void Daemon::stop() {
  if (stopping_) return;
  stopping_ = true;
  spdlog::info("medic stopping");
  if (server_) server_->stop();
  cancel_background_->store(true);
  wake_timer_.cancel();
  resync_kick_.cancel();
  if (in_flight_ == 0) {
    finishStop();
    return;
  }
  spdlog::info("waiting up to {} for {} action(s) in flight to finish",
               formatDuration(options_.config.shutdown_timeout), in_flight_);
  spawn("the shutdown drain", [this] { return drainThenFinish(); }, false,
        [this](const std::string&) { finishStop(); });
}

asio::awaitable<void> Daemon::drainThenFinish() {
  const auto deadline = std::chrono::steady_clock::now() + options_.config.shutdown_timeout;
  while (in_flight_ > 0 && std::chrono::steady_clock::now() < deadline) {
    co_await sleepFor(Millis(20));
  }
  if (in_flight_ > 0) {
    spdlog::warn(
        "{} action(s) still in flight after {}: their intents stay pending in the store "
        "and are reconciled from observed state at the next start",
        in_flight_, formatDuration(options_.config.shutdown_timeout));
  }
  finishStop();
}

void Daemon::finishStop() {
  // The core's state as of the last results (an action that finished while stopping included).
  for (const auto& [name, s] : services_) persist(name);
  exportRecoveryState();
  if (alerts_) alerts_->stop();
  for (auto& q : retired_alerts_) q->stop();
  flushEvidence();
  std::error_code ec;
  std::filesystem::remove(std::filesystem::path(options_.state_dir) / "daemon.json", ec);
  spdlog::info("medic stopped ({} action(s) left in flight)", in_flight_);
  io_.stop();
}

void Daemon::noteProgress() {
  last_progress_ = std::chrono::steady_clock::now();
  if (!ready_sent_) {
    ready_sent_ = true;
    if (options_.on_ready) options_.on_ready();
  }
}

bool Daemon::makingProgress() const {
  return std::chrono::steady_clock::now() - last_progress_ <= options_.config.stall_timeout;
}

asio::awaitable<void> Daemon::wedgeForTest() {
  co_await sleepFor(options_.test_hooks.wedge_after);
  if (options_.test_hooks.wedge_loop) {
    spdlog::warn("test hook: wedging the event loop (MEDIC_TEST_WEDGE_AFTER)");
    spdlog::default_logger()->flush();
    // Stands for a blocking call on the loop thread: nothing on the loop runs any more.
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  }
  spdlog::warn("test hook: resync passes hang from now on (MEDIC_TEST_WEDGE=resync)");
  wedged_resync_ = true;
}

std::string Daemon::url() const {
  if (!server_) return "";
  return (server_->tls() ? "https://" : "http://") + server_->boundAddress();
}

Result<http::SecurityPolicy> Daemon::securityPolicy(const config::Config& cfg) const {
  http::SecurityPolicy policy{token_, cfg.allowed_hosts, {}};
  if (!cfg.metrics_token_file.empty()) {
    std::ifstream in(cfg.metrics_token_file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    if (text.size() < 32 || text.find_first_of(" \t\r\n") != std::string::npos) {
      return Error::make(ErrorKind::kConfig,
                         "metrics_token_file " + cfg.metrics_token_file +
                             (in ? " must hold one token of at least 32 characters (e.g. "
                                   "`openssl rand -hex 32 > FILE`)"
                                 : " cannot be read (missing, or no permission)"));
    }
    policy.metrics_token = std::move(text);
  }
  return policy;
}

std::string Daemon::dashboardUrl(const config::Config& cfg) const {
  if (!cfg.external_url.empty()) return cfg.external_url;
  const std::string& listen = options_.listen_override.empty() ? cfg.listen : options_.listen_override;
  return (cfg.tls_cert_file.empty() ? "http://" : "https://") + listen + "/";
}

// ---- core plumbing ----

void Daemon::feed(const Observation& o) {
  // While stopping, only the results of actions in flight still go in, so the store records them.
  if (stopping_ && !std::holds_alternative<supervisor::ActionDone>(o)) return;
  apply(core_->observe(o, now()));
}

void Daemon::apply(supervisor::Decision d) {
  ++state_version_;  // every observation and every timer tick may change what the status shows
  std::set<std::string> touched;
  for (const auto& n : d.notices) {
    handleNotice(n);
    if (!n.service.empty()) touched.insert(n.service);
  }
  for (auto& a : d.actions) {
    touched.insert(a.service);
    if (stopping_) {
      spdlog::info("{}: {} not started: medic is stopping (the next start re-observes)", a.service,
                   supervisor::toString(a.kind));
      continue;
    }
    if (observe_only_ && a.kind != supervisor::ActionKind::kSnapshot) {
      spdlog::warn("{}: would {} but the store is unusable (observe-only)", a.service,
                   supervisor::toString(a.kind));
      feed(supervisor::ActionDone{a.id, false, "observe-only: store unusable", ""});
      continue;
    }
    const std::string what = a.service + ": " + supervisor::toString(a.kind);
    spawn(what, [this, a = std::move(a)]() mutable { return execute(std::move(a)); });
  }
  for (const auto& s : touched) {
    persist(s);
    recordIncident(s);
  }
  if (!d.retired.empty()) {
    retiring_.insert(retiring_.end(), d.retired.begin(), d.retired.end());
    requestResync();
  }
  if (!touched.empty()) exportRecoveryState();
  armWakeTimer();
}

void Daemon::armWakeTimer() {
  if (stopping_) return;
  auto next = core_->nextWakeup();
  if (!next) return;
  wake_timer_.expires_at(*next);
  wake_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    apply(core_->tick(now()));
  });
}

void Daemon::handleNotice(const supervisor::Notice& given) {
  const auto t = now();
  supervisor::Notice n = given;
  if (n.kind == "replacement_failed" && n.data.is_object()) {
    // What the engine last said about the failed replacement backs the alert too (a replacement
    // that exits at once never produced a probe record).
    if (auto it = docker_evidence_.find(n.service); it != docker_evidence_.end()) {
      auto& ev = n.data["evidence"];
      if (!ev.is_array()) ev = nlohmann::json::array();
      if (std::find(ev.begin(), ev.end(), it->second.id) == ev.end()) ev.push_back(it->second.id);
      citeEvidence({it->second.id});
    }
  }
  const std::string line = (n.service.empty() ? std::string() : n.service + ": ") + n.text;
  if (n.severity == supervisor::Severity::kCritical) {
    spdlog::critical("{}", line);
  } else if (n.severity == supervisor::Severity::kWarning) {
    spdlog::warn("{}", line);
  } else {
    spdlog::info("{}", line);
  }
  {
    // Every notice goes out on a channel: recovery steps on recovery_coordination, the rest
    // (failed, missing, replaced, recovered, escalated, maintenance, ...) on service_state.
    nlohmann::json data = n.data.is_object() ? n.data : nlohmann::json{{"value", n.data}};
    data["text"] = n.text;
    std::vector<std::string> evidence;
    if (n.data.is_object() && n.data.contains("evidence") && n.data["evidence"].is_array()) {
      for (const auto& e : n.data["evidence"]) {
        if (e.is_string()) evidence.push_back(e.get<std::string>());
      }
    }
    const bool step = n.kind == "recovering" || n.kind == "action_failed";
    publish(step ? "recovery_coordination" : "service_state", n.kind, n.service,
            supervisor::toString(n.severity), std::move(data), std::move(evidence));
  }
  if (metrics_ && (n.kind == "recovered" || n.kind == "replaced") &&
      n.data.contains("recovery_seconds")) {
    metrics_->recordDetection(n.data.value("detection_seconds", 0.0));
    const auto it = last_action_.find(n.service);
    metrics_->recordRecovery(n.service, n.kind == "replaced" ? "replaced"
                                        : it != last_action_.end() ? it->second
                                                                   : "none",
                             true, n.data.value("recovery_seconds", 0.0));
  }
  if (metrics_ && n.kind == "escalated") metrics_->recordRecovery(n.service, "escalate", false, 0);
  // The copy renamed aside by a recreate is removed once its replacement has validated.
  if ((n.kind == "recovered" || n.kind == "replaced") && old_copies_.count(n.service)) {
    spawn(n.service + ": removing the old copy",
          [this, service = n.service] { return removeOldCopy(service); });
  }
  if (!alerts_) return;
  // A good outcome resolves what was firing for that service (or the host).
  if (n.kind == "recovered" || n.kind == "replaced" || n.kind == "engine_back" ||
      n.kind == "panic_over" || n.kind == "maintenance" || n.kind == "released") {
    for (const char* k : {"failed", "escalated", "missing", "flapping", "action_failed",
                          "engine_unreachable", "panic", "held"}) {
      (void)alerts_->resolve(std::string(k) + ":" + n.service, t.wall);
    }
    // A replacement that passed after all resolves its failure. A restore ("recovered") does
    // not: the deploy that was undone is for a person to look at and acknowledge.
    if (n.kind == "replaced") (void)alerts_->resolve("replacement_failed:" + n.service, t.wall);
    if (n.kind == "engine_back" || n.kind == "panic_over") {
      (void)alerts_->resolve(n.kind == "engine_back" ? "engine_unreachable:" : "panic:", t.wall);
    }
    return;
  }
  if (n.severity == supervisor::Severity::kInfo) return;
  alerts::AlertSpec spec;
  spec.dedup_key = n.kind + ":" + n.service;
  spec.severity = n.severity == supervisor::Severity::kCritical ? alerts::Severity::kCritical
                                                                : alerts::Severity::kWarning;
  spec.service = n.service;
  spec.title = (n.service.empty() ? std::string("host") : n.service) + " " + n.kind;
  spec.text = n.text;
  if (auto project = composeProject(n.service); !project.empty()) spec.labels["project"] = project;
  if (n.kind == "replacement_failed" && n.data.is_object() && n.data.contains("evidence") &&
      n.data["evidence"].is_array()) {
    // Cited in the text (labels would split the alert's identity in Alertmanager).
    std::string ids;
    for (const auto& e : n.data["evidence"]) {
      if (!e.is_string()) continue;
      ids += (ids.empty() ? "" : ", ") + e.get<std::string>();
    }
    if (!ids.empty()) spec.text += " Evidence: " + ids + " (`medic evidence ID`).";
  }
  if (auto r = alerts_->raise(spec, t.wall); !r) {
    spdlog::error("alert not raised: {}", r.error().message);
  }
}

std::string Daemon::composeProject(const std::string& service) const {
  const auto it = services_.find(service);
  if (it == services_.end()) return "";
  if (!it->second.match.compose_project.empty()) return it->second.match.compose_project;
  if (!it->second.container) return "";
  const auto label = it->second.container->labels.find(services::kLabelComposeProject);
  return label == it->second.container->labels.end() ? "" : label->second;
}

void Daemon::publish(std::string channel, std::string type, std::string service,
                     std::string severity, nlohmann::json data, std::vector<std::string> evidence) {
  if (!bus_) return;
  bus::Message m;
  m.channel = std::move(channel);
  m.type = std::move(type);
  m.service = std::move(service);
  m.severity = std::move(severity);
  m.data = std::move(data);
  citeEvidence(evidence);  // a subscriber may look any of them up
  m.evidence = std::move(evidence);
  if (auto r = bus_->publish(std::move(m)); !r) {
    spdlog::error("channel message not published: {}", r.error().message);
  }
}

void Daemon::syncCounterMetrics() {
  if (!alerts_ || !metrics_) return;
  // The queue keeps totals; the metrics are counters fed with what changed since the last scrape.
  for (const auto& sink : alerts_->counters().sinks) {
    auto& seen = sink_counts_seen_[sink.name];
    for (uint64_t i = seen.first; i < sink.failed; ++i) metrics_->recordAlertSinkFailure(sink.name);
    if (sink.dropped > seen.second) {
      metrics_->recordAlertSinkDropped(sink.name, sink.dropped - seen.second);
    }
    seen = {sink.failed, sink.dropped};
  }
  if (bus_) {
    const auto now = bus_->counters();
    if (now.published > bus_counts_seen_.published) {
      metrics_->recordChannelMessages(now.published - bus_counts_seen_.published);
    }
    if (now.dropped_subscribers > bus_counts_seen_.dropped_subscribers) {
      metrics_->recordChannelSubscribersDropped(now.dropped_subscribers -
                                               bus_counts_seen_.dropped_subscribers);
    }
    bus_counts_seen_ = now;
  }
}

metrics::Snapshot Daemon::metricsSnapshot() const {
  // Built from the core's statuses directly: a scrape must stay cheap with many services.
  metrics::Snapshot snap;
  nlohmann::json for_score = nlohmann::json::array();
  for (const auto& st : core_->statuses()) {
    metrics::ServiceSample sample;
    sample.name = st.name;
    sample.state = st.state;
    sample.up = st.state == "healthy";
    if (auto it = stats_.find(sample.name); it != stats_.end()) {
      sample.cpu_percent = it->second.cpu_percent;
      sample.cpu_seconds_total = it->second.cpu_seconds_total;
      sample.memory_bytes = static_cast<double>(it->second.memory_bytes);
    }
    for_score.push_back({{"state", st.state}, {"critical", st.critical}});
    snap.services.push_back(std::move(sample));
  }
  for (const auto& ep : endpoints_) {
    metrics::EndpointSample sample;
    sample.name = ep.config.name;
    sample.up = ep.tracker.state() == probes::ProbeState::kPassing;
    if (ep.last) sample.latency_seconds = toSeconds(ep.last->latency);
    for_score.push_back({{"state", sample.up ? "healthy"
                                   : ep.tracker.state() == probes::ProbeState::kFailing ? "failed"
                                                                                         : "unknown"},
                         {"critical", ep.config.critical}});
    snap.endpoints.push_back(std::move(sample));
  }
  snap.health_score = healthScore(for_score);
  if (last_resync_) snap.last_resync_unix_seconds = toUnixMillis(*last_resync_) / 1000.0;
  snap.engine_reachable = engine_reachable_;
  snap.panic_mode = core_->panicMode();
  snap.observe_only = observe_only_;
  if (alerts_) {
    const auto c = alerts_->counters();
    snap.alerts_firing["info"] = static_cast<int>(c.firingCount(alerts::Severity::kInfo));
    snap.alerts_firing["warning"] = static_cast<int>(c.firingCount(alerts::Severity::kWarning));
    snap.alerts_firing["critical"] = static_cast<int>(c.firingCount(alerts::Severity::kCritical));

  }
  return snap;
}

void Daemon::persist(const std::string& service) {
  if (!store_) return;
  auto it = services_.find(service);
  if (it == services_.end()) return;
  nlohmann::json doc = {{"core", core_->persistentState(service, now())},
                        {"def", serviceToJson(it->second, secrets_ ? &*secrets_ : nullptr)}};
  if (auto st = store_->saveServiceState(service, doc); !st) {
    spdlog::error("{}: cannot persist state: {}", service, st.error().message);
  }
}

void Daemon::exportRecoveryState() {
  nlohmann::json doc = {{"updated", formatWallTime(now().wall)}, {"services", nlohmann::json::object()}};
  for (const auto& s : core_->statuses()) doc["services"][s.name] = supervisor::toJson(s, now());
  (void)writeFileAtomic(options_.state_dir + "/recovery-state.json", doc.dump(2) + "\n");
}

void Daemon::loadKnownServices() {
  auto states = store_->loadServiceStates();
  if (!states) return;
  std::vector<supervisor::ServiceDef> defs;
  for (const auto& [name, doc] : *states) {
    if (!doc.contains("def")) continue;
    auto s = serviceFromJson(doc["def"], secrets_ ? &*secrets_ : nullptr);
    services_[name] = s;
    defs.push_back(toDef(s));
  }
  core_->setServices(defs);
  for (const auto& [name, doc] : *states) {
    if (doc.contains("core") && !doc["core"].is_null()) {
      if (auto st = core_->restoreState(name, doc["core"], now()); !st) {
        spdlog::warn("{}: stored state not restored: {}", name, st.error().message);
      }
    }
  }
  // Intents left pending by a crash: the resync that follows shows what actually happened.
  if (auto pending = store_->pendingIntents(); pending) {
    for (const auto& i : *pending) {
      spdlog::warn("{}: action '{}' was interrupted by a restart; reconciling from observed state",
                   i.service, i.action);
      (void)store_->finishIntent(i.id, false, {{"error", "interrupted: medic restarted"}},
                                 toUnixMillis(now().wall));
    }
  }
}

// ---- engine ----

asio::awaitable<void> Daemon::eventLoop() {
  Millis backoff{250};
  while (!stopping_) {
    auto ping = co_await docker_->ping();
    if (!ping) {
      noteProgress();  // the loop runs; restarting medic would not bring the engine back
      if (engine_reachable_) {
        engine_reachable_ = false;
        spdlog::error("Docker engine unreachable: {}", ping.error().message);
        feed(supervisor::EngineStatus{false});
      }
      co_await sleepFor(backoff);
      backoff = std::min(backoff * 2, Millis(5000));
      continue;
    }
    backoff = Millis(250);
    if (!engine_reachable_) {
      engine_reachable_ = true;
      ++reconnects_;
      spdlog::info("Docker engine reachable again");
      feed(supervisor::EngineStatus{true});
    }
    docker::EventOptions opts;
    // Subscribe first, then list: the stream starts before the list, so nothing falls between.
    opts.since = last_event_time_ > 0 ? last_event_time_ : toUnixMillis(now().wall) / 1000 - 1;
    requestResync();
    // The handler is named, not a lambda temporary inside the co_await (GCC 12 destroys a
    // capturing one twice; see retentionLoop).
    docker::EventHandler on_event = [this](const docker::Event& e) { onEvent(e); };
    auto ended = co_await docker_->streamEvents(opts, std::move(on_event));
    if (stopping_) break;
    ++reconnects_;
    if (metrics_) metrics_->recordEventStreamReconnect();
    spdlog::warn("event stream ended ({}); reconnecting",
                 ended ? std::string("closed by the engine") : ended.error().message);
    co_await sleepFor(Millis(200));
  }
}

std::optional<std::string> Daemon::serviceForEvent(const docker::Event& e) {
  if (auto it = container_service_.find(e.id); it != container_service_.end()) return it->second;
  auto c = summaryFromEvent(e);
  if (services::isRenamedAside(c.name)) return std::nullopt;
  for (const auto& [name, s] : services_) {
    if (services::matches(s.match, name, c)) return name;
  }
  // A container not yet known: let selection decide (labels, projects, --all).
  auto selected = services::selectServices(options_.config, {c}, options_.all, knownNames());
  for (const auto& s : selected) {
    if (s.container) return s.name;
  }
  return std::nullopt;
}

void Daemon::onEvent(const docker::Event& e) {
  if (e.time > last_event_time_) last_event_time_ = e.time;
  if (e.type != "container") return;
  auto service = serviceForEvent(e);
  if (!service) return;
  const bool known = services_.count(*service) > 0;
  if (known && !recreating_.count(*service) && !deploying_.count(*service)) {
    if (e.action == "destroy") {
      // The removal of a protected service is published before anything else is done about it.
      auto name = e.attributes.find("name");
      publish("service_state", "removed", *service, "warning",
              {{"container_id", e.id},
               {"container_name", name != e.attributes.end() ? name->second : ""},
               {"event_time_nano", e.time_nano},
               {"text", "container removed (docker event destroy)"}});
    }
    if (auto ce = toCoreEvent(e, *service)) {
      spdlog::debug("{}: event {} on {}", *service, e.action, e.id.substr(0, 12));
      if (ce->action == "destroy") {
        container_service_.erase(e.id);
        ce->compose_orphan = composeOrphan(e);
      }
      feed(*ce);
    }
  }
  // Any lifecycle change: refresh the observed truth (a new container, a removal, a restart).
  if (e.action.rfind("exec_", 0) != 0) requestResync();
}

void Daemon::requestResync() {
  if (resync_running_) {
    resync_again_ = true;
    return;
  }
  resync_running_ = true;
  spawn("a resync", [this] { return resync(); }, false,
        [this](const std::string&) { resync_running_ = false; });
}

asio::awaitable<void> Daemon::resyncLoop() {
  while (!stopping_) {
    co_await sleepFor(std::max(options_.config.resync_interval, Millis(100)));
    if (engine_reachable_) requestResync();
  }
}

asio::awaitable<void> Daemon::evidenceFlushLoop() {
  // Probe evidence is written in one transaction per interval instead of one fsync per probe
  // result, which kept the loop (and the API) waiting on the disk.
  while (!stopping_) {
    co_await sleepFor(kEvidenceFlushInterval);
    flushEvidence();
  }
}

void Daemon::recordEvidence(const evidence::Evidence& ev) {
  if (!store_) return;
  pending_evidence_.push_back({ev.id, ev.service, ev.kind, toUnixMillis(ev.time), ev.hash, ev.data});
}

void Daemon::offerEvidence(const std::string& source, const std::string& verdict,
                           const evidence::Evidence& ev) {
  for (const auto& e : ledger_.offer(source, verdict, ev)) recordEvidence(e);
}

void Daemon::citeEvidence(const std::vector<std::string>& ids) {
  for (const auto& e : ledger_.cite(ids)) recordEvidence(e);
}

void Daemon::flushEvidence() {
  if (!store_ || pending_evidence_.empty()) return;
  auto batch = std::move(pending_evidence_);
  pending_evidence_.clear();
  if (auto st = store_->putEvidenceBatch(batch); !st) {
    spdlog::error("{} evidence records not stored: {}", batch.size(), st.error().message);
  }
}

asio::awaitable<void> Daemon::statsLoop() {
  while (!stopping_) {
    co_await sleepFor(Millis(10'000));
    if (!engine_reachable_) continue;
    std::vector<std::pair<std::string, std::string>> targets;
    for (const auto& [name, s] : services_) {
      if (s.container && s.container->state == "running") targets.emplace_back(name, s.container->id);
    }
    // One at a time: each sample takes the engine ~1 s (two readings), and nothing waits on it.
    for (const auto& [name, id] : targets) {
      if (stopping_) co_return;
      auto sample = co_await docker_->stats(id);
      if (sample) {
        stats_[name] = *sample;
      } else {
        stats_.erase(name);
      }
      ++state_version_;
    }
  }
}

std::vector<services::KnownName> Daemon::knownNames() const {
  std::vector<services::KnownName> known;
  known.reserve(services_.size());
  for (const auto& [name, s] : services_) known.push_back({name, s.match});
  return known;
}

void Daemon::rememberService(const services::ProtectedService& s) {
  services_[s.name] = s;
}

void Daemon::forgetService(const std::string& name, const std::string& why) {
  services_.erase(name);
  ledger_.forget(name);
  probes_.erase(name);  // its loop sees its state gone and ends
  stats_.erase(name);
  last_action_.erase(name);
  container_facts_.erase(name);
  docker_evidence_.erase(name);
  std::erase_if(container_service_, [&](const auto& kv) { return kv.second == name; });
  if (store_) {
    if (auto st = store_->deleteServiceState(name); !st) {
      spdlog::error("{}: stored state not deleted: {}", name, st.error().message);
    }
  }
  spdlog::info("{} is no longer protected ({})", name, why);
}

bool Daemon::composeOrphan(const docker::Event& e) {
  auto files = e.attributes.find(services::kLabelComposeConfigFiles);
  auto service = e.attributes.find(services::kLabelComposeService);
  if (files == e.attributes.end() || service == e.attributes.end()) return false;
  constexpr std::streamsize kMaxBytes = 1024 * 1024;
  std::vector<std::optional<std::string>> texts;
  for (const std::string& path : services::composeFilesOf(files->second)) {
    std::ifstream in(path, std::ios::binary);
    std::string text;
    if (in) {
      text.resize(static_cast<size_t>(kMaxBytes) + 1);
      in.read(text.data(), kMaxBytes + 1);
      text.resize(static_cast<size_t>(in.gcount()));
    }
    // Unreadable or over the bound: nothing is concluded (the removal is restored).
    if (!in.eof() || text.size() > static_cast<size_t>(kMaxBytes)) {
      texts.emplace_back(std::nullopt);
    } else {
      texts.emplace_back(std::move(text));
    }
  }
  return services::isOrphan(texts, service->second).value_or(false);
}

asio::awaitable<void> Daemon::resync() {
  // An exception out of the passes clears resync_running_ in spawn's on_failure.
  co_await resyncPasses();
  resync_running_ = false;
}

asio::awaitable<void> Daemon::resyncPasses() {
  do {
    resync_again_ = false;
    if (wedged_resync_) {
      asio::steady_timer never(io_, asio::steady_timer::time_point::max());
      co_await never.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    // Services the core retired are forgotten here, where nothing holds a reference to them.
    for (const std::string& name : std::exchange(retiring_, {})) {
      forgetService(name, "compose removed it on purpose");
    }
    // Named, not a brace-initialized temporary in the co_await: GCC 12 destroys those twice.
    docker::ListOptions every_container;
    auto listed = co_await docker_->listContainers(std::move(every_container));
    if (!listed) {
      spdlog::warn("resync: cannot list containers: {}", listed.error().message);
      noteProgress();
      break;
    }
    auto selected = services::selectServices(options_.config, *listed, options_.all, knownNames());
    // Services stay protected after their container disappears: that is when they need us most.
    std::set<std::string> seen;
    for (auto& s : selected) {
      seen.insert(s.name);
      rememberService(s);
    }
    for (auto& [name, s] : services_) {
      if (!seen.count(name)) s.container.reset();
    }
    std::vector<supervisor::ServiceDef> defs;
    for (const auto& [name, s] : services_) defs.push_back(toDef(s));
    core_->setServices(defs);

    container_service_.clear();
    for (const auto& c : *listed) {
      if (services::isRenamedAside(c.name)) continue;
      for (const auto& [name, s] : services_) {
        if (services::matches(s.match, name, c)) container_service_[c.id] = name;
      }
    }
    // Inspects run kResyncInspectWidth at a time (a pass over 1,000 containers costs the engine's
    // time for 1,000 inspects divided by the width); each group's services are then observed at
    // once, so what is fed is never older than one group's inspects.
    std::vector<std::string> names;
    names.reserve(services_.size());
    for (const auto& [name, s] : services_) names.push_back(name);
    for (size_t first = 0; first < names.size(); first += kResyncInspectWidth) {
      const size_t last = std::min(names.size(), first + kResyncInspectWidth);
      std::vector<std::pair<std::string, std::string>> group;  // service, container id
      for (size_t i = first; i < last; ++i) {
        auto it = services_.find(names[i]);
        if (it != services_.end() && it->second.container) {
          group.emplace_back(names[i], it->second.container->id);
        }
      }
      auto inspected_group = co_await inspectContainers(group);
      for (size_t i = first; i < last; ++i) {
        const std::string& name = names[i];
        auto sit = services_.find(name);
        if (sit == services_.end()) continue;  // forgotten while we awaited
        auto& s = sit->second;
        supervisor::ServiceObserved obs{name, std::nullopt};
        std::optional<docker::ContainerInfo> inspected;
        auto found = inspected_group.find(name);
        if (s.container && found != inspected_group.end() && found->second.id != s.container->id) {
          continue;  // an event brought another container while we awaited: the next pass sees it
        }
        if (s.container && found != inspected_group.end()) {
          obs.container = toView(found->second);
          container_facts_[name] = {found->second.state.started_at, found->second.restart_count};
          inspected = std::move(found->second);
        } else if (!s.container) {
          container_facts_.erase(name);
        }
        if (recreating_.count(name) || deploying_.count(name)) continue;
        {
          // What this pass saw becomes evidence: the status cites it, claims are judged on it.
          auto ev = check::dockerStateEvidence(s, inspected, listed->size(), now().wall);
          docker_evidence_[name] = EvidenceRef{ev.id, ev.time};
          offerEvidence(name + "\x1f" + ev.kind, dockerStateVerdict(ev.data), ev);
        }
        feed(obs);
        // Probe loops: one per service with probes, restarted when the service's definition
        // changes.
        bool has_probes = toDef(s).has_probes;
        auto& ps = probes_[name];
        if (has_probes && !ps) {
          ps = std::make_unique<ProbeState>();
          ps->generation = ++probe_generation_;
          spawn(name + ": probes",
                [this, name, generation = ps->generation] { return probeLoop(name, generation); },
                /*restart=*/true);
        }
        if (ps && obs.container && ps->container_id != obs.container->id) {
          // Counters start fresh for each new container.
          ps->container_id = obs.container->id;
          for (auto& t : ps->trackers) t.reset();
          ps->last_sent.reset();
        }
      }
    }
    last_resync_ = now().wall;
    noteProgress();
  } while (resync_again_ && !stopping_);
}

asio::awaitable<std::map<std::string, docker::ContainerInfo>> Daemon::inspectContainers(
    std::vector<std::pair<std::string, std::string>> targets) {
  auto answers = co_await check::boundedParallel<Result<docker::ContainerInfo>>(
      targets.size(), targets.size(),
      [&](size_t i) { return docker_->inspectContainer(targets[i].second); });
  std::map<std::string, docker::ContainerInfo> out;
  for (size_t i = 0; i < targets.size(); ++i) {
    // A failed inspect (gone since the list, engine error) is no container: the next pass or the
    // event that follows says what became of it.
    if (answers[i]) out.emplace(targets[i].first, std::move(*answers[i]));
  }
  co_return out;
}

// ---- probes ----

asio::awaitable<void> Daemon::probeLoop(std::string service, uint64_t generation) {
  while (!stopping_) {
    auto sit = services_.find(service);
    auto pit = probes_.find(service);
    if (sit == services_.end() || pit == probes_.end() || !pit->second ||
        pit->second->generation != generation) {
      co_return;
    }
    const auto svc = sit->second;  // copy: the map may change while we await
    Millis interval{60'000};
    for (const auto& p : svc.probes) interval = std::min(interval, p.interval);
    interval = std::max(interval, Millis(50));
    const auto started = std::chrono::steady_clock::now();
    const auto* st = core_->status(service);
    const bool runnable = svc.container && svc.container->state == "running" && st != nullptr &&
                          st->state != "failed";
    if (runnable || (st != nullptr && (st->state == "verifying" || st->state == "healthy" ||
                                       st->state == "starting" || st->state == "unknown"))) {
      std::vector<evidence::Evidence> evidence;
      auto results = co_await check::runProbes(svc, docker_.get(), *clock_, evidence);
      pit = probes_.find(service);
      if (pit == probes_.end() || !pit->second || pit->second->generation != generation) co_return;
      auto& ps = *pit->second;
      for (const auto& r : results) {
        for (const auto& ev : evidence) {
          if (ev.id != r.evidence_id) continue;
          offerEvidence(service + "\x1f" + r.name, r.ok ? "pass" : "fail", ev);
        }
      }
      if (ps.trackers.size() != results.size()) {
        ps.trackers.clear();
        for (const auto& p : svc.probes) {
          if (probes::runsAsProbe(p.kind)) ps.trackers.emplace_back(p.failure_threshold, p.success_threshold);
        }
      }
      bool all_passing = true, any_failing = false, all_failing_timed_out = true;
      std::vector<std::string> ids;
      std::vector<config::ProbeConfig> runnable;  // the probes behind `results`, in order
      for (const auto& p : svc.probes) {
        if (probes::runsAsProbe(p.kind)) runnable.push_back(p);
      }
      for (size_t i = 0; i < results.size() && i < ps.trackers.size(); ++i) {
        ps.trackers[i].record(results[i].ok);
        if (metrics_) {
          double seconds = 0;
          for (const auto& ev : evidence) {
            if (ev.id == results[i].evidence_id) seconds = ev.data.value("latency_ms", 0) / 1000.0;
          }
          metrics_->recordProbe(service, results[i].name, results[i].kind, seconds, results[i].ok);
        }
        if (!results[i].evidence_id.empty()) ids.push_back(results[i].evidence_id);
        if (i < runnable.size() && runnable[i].screenshot &&
            runnable[i].kind == config::ProbeKind::kHttp) {
          maybeScreenshot(service, generation, i, runnable[i], results[i].ok,
                          results[i].evidence_id);
          // The verdict cites the newest picture of the page next to the probe's own record.
          if (const auto& shot = ps.shots[i]; !shot.evidence_id.empty()) {
            ids.push_back(shot.evidence_id);
          }
        }
        auto state = ps.trackers[i].state();
        if (state != probes::ProbeState::kPassing) all_passing = false;
        if (state == probes::ProbeState::kFailing) {
          any_failing = true;
          if (!results[i].timed_out) all_failing_timed_out = false;
        }
      }
      ps.last = results;
      ps.latency_ms.assign(results.size(), std::nullopt);
      for (size_t i = 0; i < results.size(); ++i) {
        for (const auto& ev : evidence) {
          if (ev.id == results[i].evidence_id && ev.data.contains("latency_ms") &&
              ev.data["latency_ms"].is_number()) {
            ps.latency_ms[i] = ev.data["latency_ms"].get<double>();
          }
        }
      }
      ps.checked_at = now().wall;
      ++state_version_;
      std::optional<bool> verdict;
      if (any_failing) verdict = false;
      else if (all_passing && !results.empty()) verdict = true;
      const auto* now_st = core_->status(service);
      const bool settled = now_st != nullptr && now_st->state == "healthy";
      if (verdict && (verdict != ps.last_sent || !settled)) {
        ps.last_sent = verdict;
        supervisor::ProbesVerdict v;
        v.service = service;
        v.container_id = ps.container_id.empty() && svc.container ? svc.container->id : ps.container_id;
        v.passing = *verdict;
        v.hung = !*verdict && all_failing_timed_out && svc.container &&
                 svc.container->state == "running";
        v.evidence_ids = ids;
        citeEvidence(ids);  // the core's verdicts, incidents and actions cite them
        feed(v);
      }
    }
    auto elapsed = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
    if (elapsed < interval) co_await sleepFor(interval - elapsed);
  }
}

// ---- actions ----

asio::awaitable<void> Daemon::takeSnapshot(const std::string& service, const std::string& id) {
  if (!store_) co_return;
  auto info = co_await docker_->inspectContainer(id);
  if (!info) co_return;
  auto spec = docker::specFromInspect(info->raw);
  // The create body keeps the container's env so a recreate is faithful; secrets in it (env,
  // labels, cmd) are sealed so they never sit in the store file in clear (snapshotBody opens them).
  if (secrets_) spec.body = secrets_->sealSpec(spec.body);
  nlohmann::json networks = nlohmann::json::array();
  if (info->raw.contains("NetworkSettings") && info->raw["NetworkSettings"].contains("Networks")) {
    for (auto it = info->raw["NetworkSettings"]["Networks"].begin();
         it != info->raw["NetworkSettings"]["Networks"].end(); ++it) {
      if (it.key() == "host" || it.key() == "bridge" || it.key() == "none") continue;
      auto net = co_await docker_->inspectNetwork(it.key());
      if (net) {
        networks.push_back({{"Name", net->name}, {"Driver", net->driver}, {"Labels", net->labels}});
      }
    }
  }
  store::SnapshotRecord rec;
  rec.service = service;
  rec.container_id = info->id;
  rec.container_name = info->name;
  rec.image_id = info->image_id;
  rec.image_name = info->image;
  rec.spec_json = {{"name", spec.name}, {"body", spec.body}, {"networks", networks}};
  rec.taken_at_ms = toUnixMillis(now().wall);
  if (auto r = store_->saveSnapshot(rec); !r) {
    spdlog::error("{}: snapshot not saved: {}", service, r.error().message);
  } else {
    spdlog::debug("{}: snapshot of {} ({}) saved", service, info->name, info->image);
  }
}

Result<nlohmann::json> Daemon::snapshotBody(const store::SnapshotRecord& snap) const {
  auto body = snap.spec_json.value("body", nlohmann::json::object());
  if (!secrets_) return body;
  return secrets_->openSpec(body);
}

asio::awaitable<void> Daemon::keepImageReference(docker::ContainerSpec& spec) {
  // The snapshot pins the image id; the container was created from a reference ("web:1.4").
  // While that reference still names the same image, the recreated container carries it too, so
  // `docker ps` and compose show what the user wrote instead of a sha256.
  if (!spec.body.is_object() || !spec.body.contains("Image") || !spec.body["Image"].is_string())
    co_return;
  const std::string pinned = spec.body["Image"].get<std::string>();
  const auto labels = spec.body.value("Labels", nlohmann::json::object());
  const std::string reference = labels.value(docker::kSnapshotImageLabel, std::string());
  if (reference.empty() || reference == pinned || pinned.rfind("sha256:", 0) != 0) co_return;
  auto image = co_await docker_->inspectImage(reference);
  if (image && image->id == pinned) spec.body["Image"] = reference;
}

asio::awaitable<Result<std::string>> Daemon::recreate(const std::string& service,
                                                      const store::SnapshotRecord& snap,
                                                      const std::string& current_id,
                                                      Millis stop_timeout) {
  auto body = snapshotBody(snap);
  if (!body) {
    co_return Error::make(ErrorKind::kConflict, "cannot recreate " + service +
                                                    " from its snapshot: " + body.error().message);
  }
  docker::ContainerSpec spec{snap.spec_json.value("name", snap.container_name), std::move(*body)};
  co_await keepImageReference(spec);
  // Networks first: `docker-compose down` removes the project's network.
  for (const auto& net : snap.spec_json.value("networks", nlohmann::json::array())) {
    const std::string name = net.value("Name", "");
    if (name.empty()) continue;
    auto found = co_await docker_->inspectNetwork(name);
    if (!found && found.error().kind == ErrorKind::kNotFound) {
      nlohmann::json body = nlohmann::json::object();
      body["Name"] = name;
      body["Driver"] = net.value("Driver", std::string("bridge"));
      body["Labels"] = net.value("Labels", nlohmann::json::object());
      body["CheckDuplicate"] = true;
      auto created = co_await docker_->createNetwork(std::move(body));
      if (!created) co_return Error::make(created.error().kind, "network " + name + ": " + created.error().message);
      spdlog::info("{}: recreated missing network {}", service, name);
    }
  }
  // Create before destroy: a container still holding the name is renamed aside, and removed only
  // after the new one validates.
  std::string aside_id;
  auto holder = co_await docker_->inspectContainer(spec.name);
  if (holder) {
    aside_id = holder->id;
    if (holder->state.running || holder->state.paused) {
      if (holder->state.paused) (void)co_await docker_->unpauseContainer(holder->id);
      auto secs = std::chrono::seconds((stop_timeout.count() + 999) / 1000);
      (void)co_await docker_->stopContainer(holder->id, secs);
    }
    auto renamed = co_await docker_->renameContainer(
        holder->id, services::renamedAsideName(spec.name, toUnixMillis(now().wall)));
    if (!renamed) co_return renamed.error();
  } else if (!current_id.empty()) {
    // The container being replaced goes by another name (a replacement somebody else created):
    // it is stopped so it cannot hold the port, and removed once the new one validates, never
    // leaving two containers of the service.
    if (auto current = co_await docker_->inspectContainer(current_id); current) {
      aside_id = current->id;
      if (current->state.running || current->state.paused) {
        if (current->state.paused) (void)co_await docker_->unpauseContainer(current->id);
        auto secs = std::chrono::seconds((stop_timeout.count() + 999) / 1000);
        (void)co_await docker_->stopContainer(current->id, secs);
      }
    }
  }
  auto created = co_await docker_->createContainer(spec);
  if (!created) {
    if (holder) (void)co_await docker_->renameContainer(holder->id, spec.name);
    co_return created.error();
  }
  if (options_.test_hooks.recreate_delay.count() > 0) {
    spdlog::info("{}: test hook: pausing {} between create and start of {}", service,
                 formatDuration(options_.test_hooks.recreate_delay), created->substr(0, 12));
    co_await sleepFor(options_.test_hooks.recreate_delay);
  }
  auto started = co_await docker_->startContainer(*created);
  if (!started) {
    (void)co_await docker_->removeContainer(*created, true);
    if (holder) {
      (void)co_await docker_->renameContainer(holder->id, spec.name);
      (void)co_await docker_->startContainer(holder->id);
    }
    co_return started.error();
  }
  if (!aside_id.empty()) old_copies_[service] = aside_id;
  co_return *created;
}

asio::awaitable<void> Daemon::removeOldCopy(std::string service) {
  auto it = old_copies_.find(service);
  if (it == old_copies_.end()) co_return;
  auto id = it->second;
  old_copies_.erase(it);
  auto r = co_await docker_->removeContainer(id, true);
  if (r) spdlog::info("{}: removed the old copy {} after the new container validated", service, id.substr(0, 12));
}

asio::awaitable<void> Daemon::execute(supervisor::Action a) {
  // Counted so that stop() can let it finish. No RAII guard: a coroutine frame abandoned at exit
  // is destroyed after the daemon, and must not touch it then.
  ++in_flight_;
  const uint64_t id = a.id;
  const std::string service = a.service;
  std::string failure;
  try {
    co_await executeAction(std::move(a));
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "an unknown exception";
  }
  --in_flight_;
  if (!failure.empty()) {
    // A bug, not the engine's answer: the action failed, and nothing stays "recovering" for it.
    // Its intent stays pending in the store; the next start reconciles it.
    spdlog::critical("{}: action {} failed inside medic: {}", service, id, failure);
    recreating_.erase(service);
    ++state_version_;
    feed(supervisor::ActionDone{id, false, "internal error in medic: " + failure, ""});
  }
}

asio::awaitable<void> Daemon::executeAction(supervisor::Action a) {
  using supervisor::ActionKind;
  if (a.kind == ActionKind::kSnapshot) {
    co_await takeSnapshot(a.service, a.container_id);
    co_return;
  }
  if (a.kind == ActionKind::kStart) {
    // `docker rm -f` kills before it removes: the die arrives first and looks like a crash.
    // One look (~1 ms) tells a container marked for removal (or already gone) from a crashed
    // one. Then medic does nothing — no intent, no action in the history, no attempt — and the
    // destroy that follows decides.
    auto info = co_await docker_->inspectContainer(a.container_id);
    const bool gone = !info && info.error().kind == ErrorKind::kNotFound;
    if (gone || (info && info->state.status == "removing")) {
      const std::string why = "container " + a.container_id.substr(0, 12) +
                              (gone ? " is gone" : " is being removed") + ": nothing to start";
      spdlog::info("{}: start not done: {}", a.service, why);
      supervisor::ActionDone done{a.id, false, why, ""};
      done.target_gone = true;
      feed(done);
      co_return;
    }
  }
  const auto t0 = now();
  nlohmann::json state_before = nlohmann::json::object();
  if (const auto* st = core_->status(a.service)) state_before = supervisor::toJson(*st, t0);
  store::IntentRecord intent;
  intent.service = a.service;
  intent.action = supervisor::toString(a.kind);
  intent.container_id = a.container_id;
  intent.state_before_json = state_before;
  intent.params_json = {{"reason", a.reason}, {"attempt", a.attempt},
                        {"stop_timeout_ms", a.stop_timeout.count()}};
  intent.created_at_ms = toUnixMillis(t0.wall);
  int64_t intent_id = 0;
  if (store_) {
    auto begun = store_->beginIntent(intent);
    if (!begun) {
      // Nothing acted on without its intent on disk (crash safety); restarts do not need one
      // to be safe, but recreate/rollback must refuse (e.g. disk full).
      if (a.kind == ActionKind::kRecreate || a.kind == ActionKind::kRollback ||
          a.kind == ActionKind::kRestoreSnapshot) {
        feed(supervisor::ActionDone{a.id, false, "refused: " + begun.error().message, ""});
        co_return;
      }
    } else {
      intent_id = *begun;
    }
  }
  spdlog::info("{}: {} (attempt {}): {}", a.service, supervisor::toString(a.kind), a.attempt, a.reason);
  publish("recovery_coordination", "action_started", a.service, "info",
          {{"action", supervisor::toString(a.kind)}, {"attempt", a.attempt},
           {"reason", a.reason}, {"container_id", a.container_id}, {"intent_id", intent_id}});
  last_action_[a.service] = supervisor::toString(a.kind);
  ++recovery_actions_[a.service];
  ++state_version_;
  Status result = Ok{};
  std::string new_id;
  const auto secs = std::chrono::seconds((a.stop_timeout.count() + 999) / 1000);
  switch (a.kind) {
    case ActionKind::kStart:
      result = co_await docker_->startContainer(a.container_id);
      break;
    case ActionKind::kRestart:
      result = co_await docker_->restartContainer(a.container_id, secs);
      break;
    case ActionKind::kUnpause: result = co_await docker_->unpauseContainer(a.container_id); break;
    case ActionKind::kRecreate:
    case ActionKind::kRollback:
    case ActionKind::kRestoreSnapshot: {
      Result<std::optional<store::SnapshotRecord>> snap = std::optional<store::SnapshotRecord>{};
      if (!store_) {
        result = Error::make(ErrorKind::kIo, "no store");
        break;
      }
      if (a.kind == ActionKind::kRecreate) {
        snap = store_->latestSnapshot(a.service);
      } else if (a.kind == ActionKind::kRestoreSnapshot) {
        // The failed replacement never passed, so it has no snapshot: the latest one is of the
        // last healthy container before it.
        snap = store_->latestSnapshot(a.service);
        if (snap && *snap && (*snap)->container_id == a.container_id) {
          snap = std::optional<store::SnapshotRecord>{};
        }
      } else {
        std::string current_image;
        if (auto latest = store_->latestSnapshot(a.service); latest && *latest) {
          current_image = (*latest)->image_id;
        }
        if (!a.container_id.empty()) {
          if (auto info = co_await docker_->inspectContainer(a.container_id)) current_image = info->image_id;
        }
        snap = store_->lastHealthyImage(a.service, current_image);
      }
      if (!snap) {
        result = snap.error();
      } else if (!*snap) {
        result = Error::make(
            ErrorKind::kNotFound,
            a.kind == ActionKind::kRecreate ? "no snapshot of " + a.service + " to recreate from"
            : a.kind == ActionKind::kRestoreSnapshot
                ? "no snapshot of " + a.service + " from before its replacement to restore"
                : "no snapshot with an older healthy image of " + a.service);
      } else {
        recreating_.insert(a.service);
        auto made = co_await recreate(a.service, **snap, a.container_id, a.stop_timeout);
        if (made) {
          new_id = *made;
        } else {
          result = made.error();
        }
      }
      break;
    }
    case ActionKind::kSnapshot: break;
  }
  const auto t1 = now();
  nlohmann::json answer = result ? nlohmann::json{{"ok", true}, {"new_container_id", new_id}}
                                 : nlohmann::json{{"ok", false}, {"error", result.error().describe()}};
  answer["duration_ms"] = std::chrono::duration_cast<Millis>(t1.steady - t0.steady).count();
  if (store_ && intent_id != 0) {
    (void)store_->finishIntent(intent_id, result.ok(), answer, toUnixMillis(t1.wall));
  }
  if (!result) {
    spdlog::error("{}: {} failed: {}", a.service, supervisor::toString(a.kind),
                  result.error().describe());
  }
  recreating_.erase(a.service);
  const bool reached = result || result.error().kind != ErrorKind::kUnreachable;
  if (!reached && engine_reachable_) {
    // The engine went away under the action (e.g. dockerd shutting down, which first reports
    // its containers dying): say so before the result, so nothing is retried until it is back.
    engine_reachable_ = false;
    feed(supervisor::EngineStatus{false});
  }
  publish("recovery_coordination", "action_finished", a.service, result ? "info" : "warning",
          {{"action", supervisor::toString(a.kind)}, {"attempt", a.attempt},
           {"ok", result.ok()}, {"result", answer}, {"intent_id", intent_id}});
  supervisor::ActionDone done{a.id, result.ok(), result ? "" : result.error().message, new_id};
  done.reached_engine = reached;
  if (metrics_ && reached && (a.kind == ActionKind::kStart || a.kind == ActionKind::kRestart)) {
    metrics_->recordRestart(a.service);
  }
  if (metrics_ && !result && reached) {
    metrics_->recordRecovery(a.service, supervisor::toString(a.kind), false, 0);
  }
  feed(done);
  if (result) {
    // New container or restarted: probe counters start fresh.
    if (auto it = probes_.find(a.service); it != probes_.end() && it->second) {
      for (auto& t : it->second->trackers) t.reset();
      it->second->last_sent.reset();
      if (!new_id.empty()) it->second->container_id = new_id;
    }
    requestResync();
  }
}

}  // namespace medic::daemon
