// `medic claim TEXT --service S`: medic accepts a health statement only on fresh evidence.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "cli/local_facts.h"
#include "core/duration.h"
#include "evidence/claims.h"

namespace medic::cli {
namespace {

struct ClaimOptions {
  std::string text;
  std::string service;
  std::string expect = "healthy";
  std::string max_age = "60s";
};

void print(const nlohmann::json& v) {
  std::string verdict = v.value("verdict", "unknown");
  for (auto& c : verdict) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::cout << fmt::format("{}: \"{}\" ({} {}, evidence newer than {}s)\n", verdict,
                           v.value("text", ""), v.value("service", ""), v.value("expect", ""),
                           v.value("max_age_seconds", 0.0));
  std::cout << "  " << v.value("reason", "") << "\n";
  for (const auto& id : v.value("evidence", nlohmann::json::array())) {
    std::cout << "  evidence " << id.get<std::string>() << "\n";
  }
  if (v.contains("note")) std::cout << "  (" << v["note"].get<std::string>() << ")\n";
}

/// Without a daemon: inspect and probe the service now, in this process, and judge on that.
Result<nlohmann::json> judgeLocally(const GlobalOptions& global, const config::Config& cfg,
                                    const evidence::Claim& claim) {
  auto facts = gatherLocally(global, cfg, /*with_endpoints=*/false);
  if (!facts) return facts.error();
  bool known = false;
  evidence::Claim judged = claim;
  for (const auto& s : facts->services) {
    if (s.service.name != claim.service) continue;
    known = true;
    judged.probes = check::probeNames(s.service);
  }
  if (!known) {
    return Error::make(ErrorKind::kNotFound, "no protected service named '" + claim.service +
                                                 "' (medic vouches only for what it protects)");
  }
  std::vector<evidence::Evidence> about;
  for (const auto& e : facts->evidence) {
    if (e.service == claim.service) about.push_back(e);
  }
  auto r = evidence::judgeClaim(judged, about, SystemClock().now().wall);
  nlohmann::json records = nlohmann::json::array();
  for (const auto& e : about) {
    if (std::find(r.evidence_ids.begin(), r.evidence_ids.end(), e.id) != r.evidence_ids.end()) {
      records.push_back(e.toJson());
    }
  }
  return nlohmann::json{{"text", claim.text},
                        {"service", claim.service},
                        {"expect", evidence::toString(claim.expect)},
                        {"max_age_seconds", toSeconds(claim.max_age)},
                        {"verdict", evidence::toString(r.verdict)},
                        {"reason", r.reason},
                        {"evidence", r.evidence_ids},
                        {"evidence_records", records},
                        {"note",
                         "no daemon runs: judged on evidence this command gathered now; "
                         "it is not stored"}};
}

int run(const GlobalOptions& global, const ClaimOptions& o) {
  evidence::Claim claim;
  claim.text = o.text;
  claim.service = o.service;
  if (!evidence::parseClaimExpect(o.expect, claim.expect)) {
    std::cerr << "medic claim: --expect must be healthy, serving or absent (got '" << o.expect
              << "')\n";
    return kExitError;
  }
  auto age = parseDuration(o.max_age);
  if (!age || age->count() <= 0) {
    std::cerr << "medic claim: --max-age must be a duration like 60s (got '" << o.max_age << "')\n";
    return kExitError;
  }
  claim.max_age = *age;
  config::Config cfg;
  try {
    cfg = resolveConfig(global);
  } catch (const config::ConfigError& e) {
    std::cerr << "medic claim: " << e.what() << "\n";
    return kExitError;
  }
  Result<nlohmann::json> verdict;
  auto d = connectDaemon(global);
  if (d) {
    verdict = d->call("POST", "/api/v1/claims",
                      {{"text", claim.text},
                       {"service", claim.service},
                       {"expect", o.expect},
                       {"max_age", formatDuration(claim.max_age)}});
  } else if (d.error().kind == ErrorKind::kUnreachable) {
    verdict = judgeLocally(global, cfg, claim);
  } else {
    verdict = d.error();
  }
  if (!verdict) {
    std::cerr << "medic claim: " << verdict.error().message << "\n";
    return kExitError;
  }
  if (global.json) {
    std::cout << verdict->dump(2) << "\n";
  } else {
    print(*verdict);
  }
  return verdict->value("verdict", "") == "accepted" ? kExitOk : kExitUnhealthy;
}

}  // namespace

void registerClaim(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto o = std::make_shared<ClaimOptions>();
  auto* cmd = root.add_subcommand(
      "claim",
      "Ask medic to vouch for a health statement. It is ACCEPTED only when evidence no older than\n"
      "--max-age supports it, REJECTED (citing the contradicting evidence) when evidence says\n"
      "otherwise, and UNKNOWN when there is no fresh evidence — never accepted on old news.\n"
      "Goes through the running daemon (which inspects the container now and judges on its\n"
      "stored probe evidence); without a daemon it inspects and probes the service itself.\n"
      "Exit status: 0 accepted, 1 rejected or unknown, 2 error.");
  cmd->footer(
      "Examples:\n"
      "  medic claim \"webui is healthy\" --service webui\n"
      "  medic claim \"site serves\" --service webui --expect serving --max-age 30s --json");
  cmd->add_option("TEXT", o->text, "The statement, kept verbatim in the verdict")->required();
  cmd->add_option("--service", o->service, "The protected service it is about")->required();
  cmd->add_option("--expect", o->expect, "healthy (default), serving or absent");
  cmd->add_option("--max-age", o->max_age, "Oldest evidence that counts (default 60s)");
  cmd->callback([&global, &exit_status, o] { exit_status = run(global, *o); });
}

}  // namespace medic::cli
