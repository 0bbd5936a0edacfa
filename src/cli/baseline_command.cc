// `medic baseline [--diff]`: record what every protected service looks like now, or compare the
// host to that record.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/local_facts.h"
#include "core/atomic_file.h"
#include "evidence/baseline.h"

namespace medic::cli {
namespace {

std::string shortId(const std::string& id) {
  auto colon = id.find(':');
  return id.substr(colon == std::string::npos ? 0 : colon + 1, 12);
}

int writeBaseline(const GlobalOptions& global, const config::Config& cfg,
                  const check::FreshFacts& facts) {
  const auto dir = resolveStateDir(global, cfg);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto doc = facts.current.toJson();
  doc["evidence_records"] = nlohmann::json::array();
  for (const auto& e : facts.evidence) doc["evidence_records"].push_back(e.toJson());
  const auto path = baselinePath(dir);
  if (auto st = writeFileAtomic(path, doc.dump(2) + "\n", 0644); !st) {
    std::cerr << "medic baseline: cannot write " << path << ": " << st.error().message << "\n";
    return kExitError;
  }
  if (global.json) {
    doc["path"] = path;
    std::cout << doc.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("{:<20} {:<10} {:<30} {:<14} {}\n", "SERVICE", "HEALTH", "IMAGE",
                           "IMAGE ID", "EVIDENCE");
  for (const auto& s : facts.current.services) {
    std::cout << fmt::format("{:<20} {:<10} {:<30} {:<14} {}\n", s.name, s.health,
                             s.present ? s.image : "(no container)", shortId(s.image_id),
                             s.evidence_id);
  }
  std::cout << fmt::format("baseline of {} service(s) written to {}\n",
                           facts.current.services.size(), path);
  return kExitOk;
}

int compareToBaseline(const GlobalOptions& global, const config::Config& cfg,
                      const check::FreshFacts& facts) {
  const auto path = baselinePath(resolveStateDir(global, cfg));
  std::ifstream file(path);
  if (!file) {
    std::cerr << "medic baseline: no baseline at " << path
              << ": write one first with `medic baseline`\n";
    return kExitError;
  }
  std::stringstream ss;
  ss << file.rdbuf();
  auto recorded = evidence::Baseline::fromJson(nlohmann::json::parse(ss.str(), nullptr, false));
  if (!recorded) {
    std::cerr << "medic baseline: " << path << ": " << recorded.error().message << "\n";
    return kExitError;
  }
  const auto diffs = evidence::diffBaseline(*recorded, facts.current);
  if (global.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& d : diffs) arr.push_back(d.toJson());
    nlohmann::json ev = nlohmann::json::array();
    for (const auto& e : facts.evidence) ev.push_back(e.toJson());
    std::cout << nlohmann::json{{"baseline", path},
                                {"baseline_taken", formatWallTime(recorded->taken)},
                                {"match", diffs.empty()},
                                {"differences", arr},
                                {"current", facts.current.toJson()},
                                {"evidence_records", ev}}
                     .dump(2)
              << "\n";
  } else if (diffs.empty()) {
    std::cout << fmt::format("the host matches the baseline of {} ({} service(s))\n",
                             formatWallTime(recorded->taken), facts.current.services.size());
  } else {
    std::cout << fmt::format("{} difference(s) from the baseline of {}:\n", diffs.size(),
                             formatWallTime(recorded->taken));
    for (const auto& d : diffs) {
      const auto* now = facts.current.find(d.service);
      std::cout << "  " << d.describe()
                << (now != nullptr && !now->evidence_id.empty() ? "  [" + now->evidence_id + "]"
                                                                : "")
                << "\n";
    }
  }
  return diffs.empty() ? kExitOk : kExitUnhealthy;
}

}  // namespace

void registerBaseline(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto compare = std::make_shared<bool>(false);
  auto* cmd = root.add_subcommand(
      "baseline",
      "Record a baseline: every protected service's image (name and id), env hash, ports,\n"
      "networks, labels hash and health, inspected now, into baseline.json in the state dir.\n"
      "With --diff, compare the host to it instead: changed image, env, ports, networks or\n"
      "labels, missing or new services, health changes. Phase gate 3 uses the same comparison.\n"
      "Talks to the Docker engine directly (no daemon needed).\n"
      "Exit status: 0 written / no difference, 1 differences, 2 error.");
  cmd->footer(
      "Examples:\n  medic baseline\n  medic baseline --diff --json");
  cmd->add_flag("--diff", *compare, "Compare the host to the baseline instead of writing one");
  cmd->callback([&global, &exit_status, compare] {
    config::Config cfg;
    try {
      cfg = resolveConfig(global);
    } catch (const config::ConfigError& e) {
      std::cerr << "medic baseline: " << e.what() << "\n";
      exit_status = kExitError;
      return;
    }
    auto facts = gatherLocally(global, cfg, /*with_endpoints=*/false);
    if (!facts) {
      std::cerr << "medic baseline: cannot inspect the services: " << facts.error().describe()
                << "\n";
      exit_status = kExitError;
      return;
    }
    exit_status =
        *compare ? compareToBaseline(global, cfg, *facts) : writeBaseline(global, cfg, *facts);
  });
}

}  // namespace medic::cli
