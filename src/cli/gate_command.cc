// `medic gate N`: runs phase N's checks on fresh evidence; exit status 0 only on pass.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "cli/local_facts.h"
#include "evidence/gates.h"

namespace medic::cli {
namespace {

void print(const nlohmann::json& v) {
  std::cout << fmt::format("phase {} ({}): {}\n  {}\n", v.value("phase", 0), v.value("name", ""),
                           v.value("pass", false) ? "PASS" : "FAIL", v.value("reason", ""));
  for (const auto& c : v.value("checks", nlohmann::json::array())) {
    std::string ids;
    for (const auto& id : c.value("evidence", nlohmann::json::array())) {
      ids += (ids.empty() ? "" : ",") + id.get<std::string>();
    }
    std::cout << fmt::format("  {} {:<16} {:<20} {}  [{}]\n",
                             c.value("pass", false) ? "ok  " : "FAIL", c.value("requirement", ""),
                             c.value("subject", ""), c.value("reason", ""),
                             ids.empty() ? "no evidence" : ids);
  }
  if (v.contains("note")) std::cout << "  (" << v["note"].get<std::string>() << ")\n";
}

/// Reads the baseline the state dir holds into `in` (absent is not an error: the check says so).
void readBaseline(const std::string& path, evidence::GateInputs& in) {
  if (!std::filesystem::exists(path)) return;
  std::ifstream file(path);
  std::stringstream ss;
  ss << file.rdbuf();
  auto b = evidence::Baseline::fromJson(nlohmann::json::parse(ss.str(), nullptr, false));
  if (b) {
    in.baseline = std::move(*b);
  } else {
    in.baseline_error = path + ": " + b.error().message;
  }
}

Result<nlohmann::json> evaluateLocally(const GlobalOptions& global, const config::Config& cfg,
                                       const config::PhaseConfig& phase) {
  auto facts = gatherLocally(global, cfg, /*with_endpoints=*/true);
  if (!facts) return facts.error();
  evidence::GateInputs in;
  for (const auto& s : facts->services)
    in.services.push_back({s.service.name, "", check::probeNames(s.service)});
  for (const auto& ep : cfg.endpoints) in.endpoints.push_back(ep.name);
  in.evidence = facts->evidence;
  in.current = facts->current;
  in.recovery_state_known = false;
  readBaseline(baselinePath(resolveStateDir(global, cfg)), in);
  in.now = SystemClock().now().wall;
  auto v = evidence::evaluateGate(phase, in);
  auto j = v.toJson();
  nlohmann::json records = nlohmann::json::array();
  const auto ids = v.evidenceIds();
  for (const auto& e : facts->evidence) {
    if (std::find(ids.begin(), ids.end(), e.id) != ids.end()) records.push_back(e.toJson());
  }
  j["evidence_records"] = records;
  j["note"] = "no daemon runs: evaluated on evidence this command gathered now; it is not stored";
  return j;
}

int run(const GlobalOptions& global, int number) {
  config::Config cfg;
  try {
    cfg = resolveConfig(global);
  } catch (const config::ConfigError& e) {
    std::cerr << "medic gate: " << e.what() << "\n";
    return kExitError;
  }
  Result<nlohmann::json> verdict;
  auto d = connectDaemon(global);
  if (d) {
    verdict = d->call("POST", "/api/v1/gates/" + std::to_string(number));
  } else if (d.error().kind == ErrorKind::kUnreachable) {
    auto it = cfg.phases.find(number);
    if (it == cfg.phases.end()) {
      std::string known;
      for (const auto& [n, p] : cfg.phases)
        known += (known.empty() ? "" : ", ") + std::to_string(n);
      std::cerr << "medic gate: no phase " << number << " is configured (phases: " << known
                << ")\n";
      return kExitError;
    }
    verdict = evaluateLocally(global, cfg, it->second);
  } else {
    verdict = d.error();
  }
  if (!verdict) {
    std::cerr << "medic gate: " << verdict.error().message << "\n";
    return kExitError;
  }
  if (global.json) {
    std::cout << verdict->dump(2) << "\n";
  } else {
    print(*verdict);
  }
  return verdict->value("pass", false) ? kExitOk : kExitUnhealthy;
}

}  // namespace

void registerGate(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto number = std::make_shared<int>(0);
  auto* cmd = root.add_subcommand(
      "gate",
      "Run phase N's gate on fresh evidence: every service it covers is inspected and probed now,\n"
      "every endpoint probed now, the baseline compared, and the verdict lists each check with "
      "its\n"
      "evidence ids. Seeded phases: 0 preflight, 3 baseline, 5 implementation safety,\n"
      "6 infrastructure validation, 9 production accessibility (see `phases:` in docs/config.md).\n"
      "Through the running daemon when there is one (evidence stored, verdict published on\n"
      "validation_results, a failure raises an alert); without one, this command gathers the\n"
      "evidence itself (not stored) and `no_recovery` is unknown, hence failing.\n"
      "Exit status: 0 pass, 1 fail, 2 error.");
  cmd->footer(
      "Examples:\n  medic gate 6\n  medic gate 0 --json | jq '.checks[] | select(.pass | not)'");
  cmd->add_option("N", *number, "Phase number, 0-9")->required()->check(CLI::Range(0, 9));
  cmd->callback([&global, &exit_status, number] { exit_status = run(global, *number); });
}

}  // namespace medic::cli
