// `medic alert test [--sink NAME]`: sends a test alert through each sink of the config and
// reports each receiver's answer.
//
// Sent from the config, not through the daemon: it tests the file an operator just edited before
// `systemctl reload medic` applies it, works while the daemon is stopped or not yet installed,
// needs no token, and leaves the daemon's alert history and sink counters alone. The sinks are
// built exactly as the daemon builds them (alerts::buildSink: same TLS, CA file, headers, format,
// timeout and retries). What may differ is the environment: {env: NAME} headers are read from
// this command's environment, so run it with the daemon's (see --help).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "alerts/configure.h"
#include "cli/commands.h"

namespace medic::cli {
namespace {

namespace asio = boost::asio;

alerts::Alert testAlert(const std::string& sink_name) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "medic");
  alerts::Alert a;
  a.id = 0;
  a.dedup_key = "medic-test:" + sink_name;
  a.severity = alerts::Severity::kWarning;
  a.title = "medic test alert";
  a.text = fmt::format(
      "A test from `medic alert test` on {}: sink '{}' delivers. Nothing is wrong; no action is "
      "needed.",
      host, sink_name);
  a.created = a.updated = std::chrono::system_clock::now();
  a.labels = {{"medic_test", "true"}};
  return a;
}

struct Answer {
  std::string sink;
  std::string type;
  alerts::DeliveryReport report;
  Millis took{0};
};

nlohmann::json toJson(const Answer& a) {
  nlohmann::json j = {{"sink", a.sink},
                      {"type", a.type},
                      {"ok", a.report.status.ok()},
                      {"attempts", a.report.attempts},
                      {"ms", a.took.count()}};
  j["http_status"] = a.report.http_status == 0 ? nlohmann::json() : nlohmann::json(a.report.http_status);
  j["error"] = a.report.status.ok() ? nlohmann::json() : nlohmann::json(a.report.status.error().message);
  return j;
}

void print(const Answer& a) {
  const std::string http =
      a.report.http_status == 0 ? "-" : fmt::format("HTTP {}", a.report.http_status);
  std::cout << fmt::format("{:<20} {:<15} {:<6} {:<9} {:>6} ms  {} attempt{}\n", a.sink, a.type,
                           a.report.status.ok() ? "OK" : "FAILED", http, a.took.count(),
                           a.report.attempts, a.report.attempts == 1 ? "" : "s");
  if (!a.report.status.ok()) std::cout << "  error: " << a.report.status.error().message << "\n";
}

/// Builds and tries the sinks one after another, on a private loop and blocking pool.
int run(const GlobalOptions& global, const std::string& only) {
  config::Config cfg;
  try {
    cfg = resolveConfig(global);
  } catch (const config::ConfigError& e) {
    std::cerr << "medic alert test: " << e.what() << "\n";
    return kExitError;
  }
  std::vector<const config::AlertSinkConfig*> chosen;
  std::string names;
  for (const auto& s : cfg.alerts.sinks) {
    if (s.kind == config::AlertSinkKind::kLog || s.kind == config::AlertSinkKind::kFile) continue;
    names += (names.empty() ? "" : ", ") + s.name;
    if (only.empty() || s.name == only) chosen.push_back(&s);
  }
  if (chosen.empty()) {
    std::cerr << "medic alert test: "
              << (names.empty()
                      ? "the config has no webhook, alertmanager or command sink (alerts.sinks)"
                      : "no sink named '" + only + "'; the config has: " + names)
              << "\n";
    return kExitError;
  }
  asio::io_context io;
  asio::thread_pool blocking(1);
  const alerts::SinkContext ctx{io.get_executor(), blocking.get_executor()};
  std::vector<Answer> answers;
  for (const auto* s : chosen) {
    Answer a{s->name, config::toString(s->kind), {}, Millis(0)};
    if (s->kind == config::AlertSinkKind::kWebhook) a.type += "/" + s->format;
    auto sink = alerts::buildSink(*s);
    if (!sink) {
      a.report.status = sink.error();
    } else {
      const alerts::Alert alert = testAlert(s->name);  // outlives the coroutine that reads it
      const auto started = std::chrono::steady_clock::now();
      asio::co_spawn(io, (*sink)->deliverTest(alert, ctx),
                     [&a](std::exception_ptr e, alerts::DeliveryReport r) {
                       a.report = e ? alerts::DeliveryReport{Error::make(ErrorKind::kInternal,
                                                                         "the sink failed unexpectedly"),
                                                             1, 0}
                                    : std::move(r);
                     });
      io.restart();
      io.run();
      a.took = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
    }
    if (!global.json) print(a);
    answers.push_back(std::move(a));
  }
  blocking.join();
  bool all_ok = true;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : answers) {
    all_ok = all_ok && a.report.status.ok();
    out.push_back(toJson(a));
  }
  if (global.json) std::cout << out.dump(2) << "\n";
  return all_ok ? kExitOk : kExitUnhealthy;
}

}  // namespace

void registerAlert(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto* alert = root.add_subcommand("alert", "Work with alert sinks (see `medic alert test`).");
  alert->require_subcommand(1);
  alert->footer("Examples:\n  medic alert test\n  medic alert test --sink slack-ops");
  auto only = std::make_shared<std::string>();
  auto* test = alert->add_subcommand(
      "test",
      "Send a test alert through each sink of the config (webhook, alertmanager, command) and\n"
      "report each answer: OK or FAILED, the HTTP status, the time and the attempts taken, and\n"
      "the error. Sinks are built as the daemon builds them (https, ca_file, headers, format,\n"
      "timeout, retries) from the config file, so a config can be tested before the daemon\n"
      "loads it; the running daemon's alerts are not touched. {env: NAME} header values are\n"
      "read from this command's environment. Exit status 0 when every sink delivered, 1 when\n"
      "one failed, 2 for a config error.");
  test->add_option("--sink", *only, "Only this sink (its name: key, else e.g. webhook, webhook_2)")
      ->type_name("NAME");
  test->footer(
      "Examples:\n"
      "  medic alert test\n"
      "  medic alert test --sink slack-ops\n"
      "  sudo medic --config /etc/medic/medic.yaml alert test --json\n"
      "  sudo env $(cat /etc/medic/env) medic alert test   # with the unit's EnvironmentFile");
  test->callback([&global, &exit_status, only] { exit_status = run(global, *only); });
}

}  // namespace medic::cli
