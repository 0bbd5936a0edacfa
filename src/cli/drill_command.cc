// medic drill: inject a fault into a service the daemon protects and report what medic measured.
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "core/duration.h"
#include "docker/engine_client.h"

namespace medic::cli {
namespace {

struct DrillOptions {
  std::string service;
  std::string fault = "kill";
  std::string timeout = "2m";
};

template <class T>
T runSync(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  auto f = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.run();
  return f.get();
}

std::optional<nlohmann::json> findService(const nlohmann::json& status, const std::string& name) {
  for (const auto& s : status["services"]) {
    if (s.value("name", "") == name) return s;
  }
  return std::nullopt;
}

int runDrill(const GlobalOptions& global, const DrillOptions& o) {
  auto timeout = parseDuration(o.timeout);
  if (!timeout) {
    std::cerr << "medic drill: --timeout '" << o.timeout << "' is not a duration\n";
    return kExitError;
  }
  if (o.fault != "stop" && o.fault != "kill" && o.fault != "remove" && o.fault != "pause") {
    std::cerr << "medic drill: --fault must be stop, kill, remove or pause\n";
    return kExitError;
  }
  auto d = connectDaemon(global);
  if (!d) {
    std::cerr << "medic drill: " << d.error().message << "\n";
    return kExitError;
  }
  auto status = d->call("GET", "/api/v1/status");
  if (!status) {
    std::cerr << "medic drill: " << status.error().message << "\n";
    return kExitError;
  }
  auto svc = findService(*status, o.service);
  if (!svc) {
    std::cerr << "medic drill: the daemon protects no service named '" << o.service << "'\n";
    return kExitError;
  }
  if (svc->value("state", "") != "healthy") {
    std::cerr << "medic drill: " << o.service << " is " << svc->value("state", "")
              << ", not healthy: a drill starts from a healthy service\n";
    return kExitError;
  }
  const std::string container = svc->value("container_id", "");
  // The engine as every other command reaches it: --docker or the config's address, and the
  // API version DOCKER_API_VERSION fixes (resolveConfig reads it), else negotiated.
  const config::Config resolved = resolveConfig(global);
  const std::string docker_addr = global.docker.empty() ? resolved.docker : global.docker;
  const auto before_detected =
      svc->contains("last_incident") && (*svc)["last_incident"].is_object()
          ? (*svc)["last_incident"].value("detected_at", "")
          : std::string();

  const auto t0 = std::chrono::steady_clock::now();
  auto injected = runSync([&]() -> boost::asio::awaitable<Status> {
    docker::EngineClient client(co_await boost::asio::this_coro::executor, docker_addr,
                                Millis(15000), resolved.docker_api_version);
    if (o.fault == "stop") co_return co_await client.stopContainer(container, std::chrono::seconds(10));
    if (o.fault == "kill") co_return co_await client.killContainer(container, "SIGKILL");
    if (o.fault == "pause") co_return co_await client.pauseContainer(container);
    co_return co_await client.removeContainer(container, true);
  }());
  if (!injected) {
    std::cerr << "medic drill: could not inject the fault: " << injected.error().describe() << "\n";
    return kExitError;
  }
  std::cerr << fmt::format("injected '{}' into {} ({}); waiting for medic to detect and repair...\n",
                           o.fault, o.service, container.substr(0, 12));
  const auto deadline = t0 + *timeout;
  nlohmann::json incident;
  bool recovered = false;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto st = d->call("GET", "/api/v1/services/" + o.service);
    if (!st) continue;
    if (!st->contains("last_incident") || !(*st)["last_incident"].is_object()) continue;
    const auto& inc = (*st)["last_incident"];
    if (inc.value("detected_at", "") == before_detected) continue;
    incident = inc;
    const auto outcome = inc.value("outcome", "");
    if (st->value("state", "") == "healthy" && (outcome == "recovered" || outcome == "replaced")) {
      recovered = true;
      break;
    }
    if (outcome == "escalated" || outcome == "missing") break;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json report = {{"service", o.service},
                           {"fault", o.fault},
                           {"recovered", recovered},
                           {"fault_to_healthy_seconds", wall},
                           {"incident", incident}};
  if (global.json) {
    std::cout << report.dump(2) << "\n";
  } else {
    auto num = [](const nlohmann::json& v) {
      return v.is_number() ? fmt::format("{:.3f}s", v.get<double>()) : std::string("-");
    };
    std::cout << fmt::format(
        "drill {} on {}: {}\n  detection (event -> medic): {}\n  recovery (detected -> passing): "
        "{}\n  fault -> healthy (measured by the drill): {:.3f}s\n",
        o.fault, o.service, recovered ? "RECOVERED" : "NOT RECOVERED",
        num(incident.value("detection_seconds", nlohmann::json())),
        num(incident.value("recovery_seconds", nlohmann::json())), wall);
  }
  return recovered ? kExitOk : kExitUnhealthy;
}

}  // namespace

void registerDrill(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto o = std::make_shared<DrillOptions>();
  auto* cmd = root.add_subcommand(
      "drill",
      "A recovery drill: inject a fault into SERVICE (watched by a running `medic watch`) and\n"
      "report the detection and recovery times medic measured. Exit 0 when it recovered.");
  cmd->footer("Examples:\n  medic drill webui --fault kill\n  medic drill webui --fault remove --timeout 1m");
  cmd->add_option("SERVICE", o->service, "Service name")->required();
  cmd->add_option("--fault", o->fault, "stop, kill, remove or pause (default kill)")
      ->check(CLI::IsMember({"stop", "kill", "remove", "pause"}));
  cmd->add_option("--timeout", o->timeout, "How long to wait for recovery (default 2m)");
  cmd->callback([&global, &exit_status, o] { exit_status = runDrill(global, *o); });
}

}  // namespace medic::cli
