#include "support/docker/fake_engine.h"

#include <regex>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace medic::testing {
namespace asio = boost::asio;

namespace {

std::string formatNanos(int64_t ns) {
  // Only ever compared or parsed back by medic: RFC 3339 with nanoseconds, UTC.
  const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%s.%09lldZ", buf, static_cast<long long>(ns % 1'000'000'000));
  return out;
}

Error notFound(const std::string& what) {
  return Error::make(ErrorKind::kNotFound, "No such container: " + what);
}

}  // namespace

FakeEngine::FakeEngine(asio::any_io_executor ex)
    : ex_(std::move(ex)), events_ready_(std::make_unique<asio::steady_timer>(ex_)) {}

FakeEngine::~FakeEngine() = default;

std::string FakeEngine::newId() {
  char buf[80];
  std::snprintf(buf, sizeof buf, "%012d%052d", next_id_, next_id_);
  ++next_id_;
  return buf;
}

docker::ContainerInfo* FakeEngine::lookup(const std::string& id_or_name) {
  if (auto it = containers_.find(id_or_name); it != containers_.end()) return &it->second;
  for (auto& [id, c] : containers_) {
    if (c.name == id_or_name || (id_or_name.size() >= 12 && id.rfind(id_or_name, 0) == 0)) return &c;
  }
  return nullptr;
}

const docker::ContainerInfo* FakeEngine::find(const std::string& id_or_name) const {
  return const_cast<FakeEngine*>(this)->lookup(id_or_name);
}

std::vector<std::string> FakeEngine::idsNamed(const std::string& name) const {
  std::vector<std::string> ids;
  for (const auto& [id, c] : containers_) {
    if (c.name == name || c.name.rfind(name + ".medic-old-", 0) == 0) ids.push_back(id);
  }
  return ids;
}

void FakeEngine::setState(docker::ContainerInfo& c, const std::string& status, int exit_code) {
  clock_ns_ += 1000;
  c.state.status = status;
  c.state.running = status == "running";
  c.state.paused = status == "paused";
  c.state.exit_code = exit_code;
  c.state.pid = c.state.running ? 4242 : 0;
  if (status == "running") {
    c.state.started_at = formatNanos(clock_ns_);
    c.state.finished_at = "0001-01-01T00:00:00Z";
  } else if (status == "exited") {
    c.state.finished_at = formatNanos(clock_ns_);
  }
  c.raw["State"] = {{"Status", c.state.status},     {"Running", c.state.running},
                    {"Paused", c.state.paused},     {"Restarting", false},
                    {"OOMKilled", false},           {"Dead", false},
                    {"Pid", c.state.pid},           {"ExitCode", exit_code},
                    {"Error", ""},                  {"StartedAt", c.state.started_at},
                    {"FinishedAt", c.state.finished_at}};
}

void FakeEngine::emit(const docker::ContainerInfo& c, const std::string& action,
                      docker::Labels extra) {
  clock_ns_ += 1000;
  docker::Event e;
  e.type = "container";
  e.action = action;
  e.id = c.id;
  e.attributes = c.labels;
  e.attributes["name"] = c.name;
  e.attributes["image"] = c.image;
  for (auto& [k, v] : extra) e.attributes[k] = v;
  e.time_nano = clock_ns_;
  e.time = clock_ns_ / 1'000'000'000;
  events_.push_back(std::move(e));
  events_ready_->cancel();
}

std::string FakeEngine::run(const std::string& name, docker::Labels labels,
                            const std::string& image) {
  docker::ContainerInfo c;
  c.id = newId();
  c.name = name;
  c.image = "medic-test:latest";
  c.image_id = image;
  c.labels = std::move(labels);
  c.created = formatNanos(clock_ns_);
  c.raw = {{"Id", c.id},
           {"Name", "/" + name},
           {"Image", image},
           {"Created", c.created},
           {"Config", {{"Image", c.image}, {"Labels", c.labels}, {"Env", nlohmann::json::array()}}},
           {"HostConfig", {{"NetworkMode", "host"}, {"RestartPolicy", {{"Name", "no"}}}}},
           {"NetworkSettings", {{"Networks", nlohmann::json::object()}}}};
  setState(c, "running");
  auto& stored = containers_[c.id] = std::move(c);
  emit(stored, "create");
  emit(stored, "start");
  return stored.id;
}

void FakeEngine::stopRunning(docker::ContainerInfo& c) {
  if (!c.state.running) return;
  emit(c, "kill", {{"signal", "15"}});
  setState(c, "exited", 0);
  emit(c, "die", {{"exitCode", "0"}});
}

void FakeEngine::crash(const std::string& id, int code) {
  auto* c = lookup(id);
  if (c == nullptr) throw std::logic_error("FakeEngine::crash: no container " + id);
  setState(*c, "exited", code);
  emit(*c, "die", {{"exitCode", std::to_string(code)}});
}

void FakeEngine::removeForce(const std::string& id) {
  auto* c = lookup(id);
  if (c == nullptr) throw std::logic_error("FakeEngine::removeForce: no container " + id);
  if (c->state.running) {
    emit(*c, "kill", {{"signal", "9"}});
    setState(*c, "exited", 137);
    emit(*c, "die", {{"exitCode", "137"}});
  }
  emit(*c, "destroy");
  containers_.erase(c->id);
}

std::set<std::string> FakeEngine::endpoints() const {
  // An id or a name in the path: /containers/web/json and /containers/<64 hex>/json alike.
  static const std::regex kId("^(\\w+ /(containers|images|networks)/)([^/?]+)");
  std::set<std::string> out;
  for (const auto& call : calls_) {
    std::smatch m;
    if (std::regex_search(call, m, kId) && m[3] != "json" && m[3] != "create") {
      out.insert(m[1].str() + "{id}" + m.suffix().str());
    } else {
      out.insert(call);
    }
  }
  return out;
}

size_t FakeEngine::count(const std::string& call_prefix) const {
  size_t n = 0;
  for (const auto& call : calls_) n += call.rfind(call_prefix, 0) == 0 ? 1 : 0;
  return n;
}

void FakeEngine::hold(const std::string& call_prefix, int calls) {
  hold_prefix_ = call_prefix;
  hold_remaining_ = calls;
  holding_ = std::make_shared<asio::steady_timer>(ex_, asio::steady_timer::time_point::max());
}

void FakeEngine::release() {
  hold_prefix_.reset();
  if (holding_) holding_->cancel();
}

asio::awaitable<void> FakeEngine::enter(std::string call) {
  calls_.push_back(call);
  for (const auto& prefix : throw_on_) {
    if (call.rfind(prefix, 0) == 0) throw std::runtime_error("fake engine: " + call + " threw");
  }
  if (hold_prefix_ && hold_remaining_ > 0 && call.rfind(*hold_prefix_, 0) == 0) {
    if (--hold_remaining_ == 0) hold_prefix_.reset();
    auto timer = holding_;  // shared: release() wakes every held call at once
    ++held_;
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    --held_;
  }
}

docker::Task<docker::VersionInfo> FakeEngine::version() {
  co_await enter("GET /version");
  co_return docker::VersionInfo{"20.10.24", "1.41", "1.12", "linux", "1.41"};
}

docker::Task<Ok> FakeEngine::ping() {
  co_await enter("GET /_ping");
  co_return Ok{};
}

docker::Task<std::vector<docker::ContainerSummary>> FakeEngine::listContainers(
    docker::ListOptions options) {
  co_await enter("GET /containers/json");
  std::vector<docker::ContainerSummary> out;
  for (const auto& [id, c] : containers_) {
    if (!options.all && !c.state.running) continue;
    docker::ContainerSummary s;
    s.id = id;
    s.name = c.name;
    s.image = c.image;
    s.image_id = c.image_id;
    s.state = c.state.status;
    s.status = c.state.running ? "Up" : "Exited (" + std::to_string(c.state.exit_code) + ")";
    s.labels = c.labels;
    out.push_back(std::move(s));
  }
  co_return out;
}

docker::Task<docker::ContainerInfo> FakeEngine::inspectContainer(std::string id_or_name) {
  co_await enter("GET /containers/" + id_or_name + "/json");
  const auto* c = lookup(id_or_name);  // after the wait: what the engine holds then
  if (c == nullptr) co_return notFound(id_or_name);
  co_return *c;
}

docker::Task<std::string> FakeEngine::createContainer(docker::ContainerSpec spec) {
  co_await enter("POST /containers/create?name=" + spec.name);
  for (const auto& [id, c] : containers_) {
    if (c.name == spec.name) {
      co_return Error::make(ErrorKind::kConflict,
                            "Conflict. The container name \"/" + spec.name + "\" is already in use");
    }
  }
  docker::ContainerInfo c;
  c.id = newId();
  c.name = spec.name;
  c.image_id = spec.body.value("Image", "");
  c.image = c.image_id;
  if (spec.body.contains("Labels") && spec.body["Labels"].is_object()) {
    for (const auto& [k, v] : spec.body["Labels"].items()) {
      if (v.is_string()) c.labels[k] = v.get<std::string>();
    }
  }
  c.created = formatNanos(clock_ns_);
  c.raw = {{"Id", c.id},
           {"Name", "/" + c.name},
           {"Image", c.image_id},
           {"Created", c.created},
           {"Config", {{"Image", c.image}, {"Labels", c.labels}}},
           {"HostConfig", spec.body.value("HostConfig", nlohmann::json::object())},
           {"NetworkSettings", {{"Networks", nlohmann::json::object()}}}};
  setState(c, "created");
  auto& stored = containers_[c.id] = std::move(c);
  emit(stored, "create");
  co_return stored.id;
}

docker::Task<Ok> FakeEngine::startContainer(std::string id) {
  co_await enter("POST /containers/" + id + "/start");
  auto* c = lookup(id);
  if (c == nullptr) co_return notFound(id);
  if (!c->state.running) {
    setState(*c, "running");
    emit(*c, "start");
  }
  co_return Ok{};
}

docker::Task<Ok> FakeEngine::stopContainer(std::string id, std::chrono::seconds) {
  co_await enter("POST /containers/" + id + "/stop");
  auto* c = lookup(id);
  if (c == nullptr) co_return notFound(id);
  stopRunning(*c);
  emit(*c, "stop");
  co_return Ok{};
}

docker::Task<Ok> FakeEngine::restartContainer(std::string id, std::chrono::seconds) {
  co_await enter("POST /containers/" + id + "/restart");
  auto* c = lookup(id);
  if (c == nullptr) co_return notFound(id);
  if (c->state.running) {
    stopRunning(*c);
    emit(*c, "stop");
  }
  setState(*c, "running");
  emit(*c, "start");
  emit(*c, "restart");
  co_return Ok{};
}

docker::Task<Ok> FakeEngine::killContainer(std::string id, std::string signal) {
  co_await enter("POST /containers/" + id + "/kill");
  auto* c = lookup(id);
  if (c == nullptr) co_return notFound(id);
  emit(*c, "kill", {{"signal", signal}});
  if (c->state.running) {
    setState(*c, "exited", 137);
    emit(*c, "die", {{"exitCode", "137"}});
  }
  co_return Ok{};
}

docker::Task<Ok> FakeEngine::removeContainer(std::string id, bool force) {
  co_await enter("DELETE /containers/" + id);
  auto* c = lookup(id);
  if (c == nullptr) co_return notFound(id);
  if (c->state.running && !force) {
    co_return Error::make(ErrorKind::kConflict, "You cannot remove a running container");
  }
  removeForce(c->id);
  co_return Ok{};
}

docker::Task<Ok> FakeEngine::renameContainer(std::string id, std::string new_name) {
  co_await enter("POST /containers/" + id + "/rename");
  auto* c = lookup(id);
  if (c == nullptr) co_return notFound(id);
  const std::string old_name = c->name;
  c->name = new_name;
  c->raw["Name"] = "/" + new_name;
  emit(*c, "rename", {{"oldName", "/" + old_name}});
  co_return Ok{};
}

docker::Task<Ok> FakeEngine::pauseContainer(std::string id) {
  co_await enter("POST /containers/" + id + "/pause");
  co_return Ok{};
}

docker::Task<Ok> FakeEngine::unpauseContainer(std::string id) {
  co_await enter("POST /containers/" + id + "/unpause");
  co_return Ok{};
}

docker::Task<docker::ExecResult> FakeEngine::exec(std::string id, std::vector<std::string>,
                                                  std::chrono::milliseconds) {
  co_await enter("POST /containers/" + id + "/exec");
  docker::ExecResult r;
  r.exit_code = 0;
  co_return r;
}

docker::Task<docker::Stats> FakeEngine::stats(std::string id) {
  co_await enter("GET /containers/" + id + "/stats");
  co_return docker::Stats{};
}

docker::Task<docker::ImageInfo> FakeEngine::inspectImage(std::string id_or_name) {
  co_await enter("GET /images/" + id_or_name + "/json");
  docker::ImageInfo info;
  info.id = id_or_name;
  co_return info;
}

docker::Task<docker::NetworkInfo> FakeEngine::inspectNetwork(std::string id_or_name) {
  co_await enter("GET /networks/" + id_or_name);
  co_return Error::make(ErrorKind::kNotFound, "network " + id_or_name + " not found");
}

docker::Task<std::string> FakeEngine::createNetwork(nlohmann::json) {
  co_await enter("POST /networks/create");
  co_return Error::make(ErrorKind::kBadRequest, "the fake engine makes no networks");
}

docker::Task<Ok> FakeEngine::streamEvents(docker::EventOptions, docker::EventHandler on_event) {
  co_await enter("GET /events");
  for (;;) {
    while (!events_.empty()) {
      docker::Event e = std::move(events_.front());
      events_.pop_front();
      on_event(e);
    }
    events_ready_->expires_at(asio::steady_timer::time_point::max());
    co_await events_ready_->async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace medic::testing
