// `medic evidence [ID]`: the evidence medic stored — one record in full, or the newest records.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/daemon_client.h"

namespace medic::cli {
namespace {

struct EvidenceOptions {
  std::string id;
  std::string service;
  int limit = 20;
};

std::string percentEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

/// One line about a record's content: a probe's summary, a container's status or its absence.
std::string summaryOf(const nlohmann::json& e) {
  const auto& d = e.contains("data") ? e["data"] : nlohmann::json::object();
  if (!d.is_object()) return "";
  if (d.contains("summary") && d["summary"].is_string()) return d["summary"].get<std::string>();
  if (d.contains("container") && d["container"].is_null() && !d.contains("status")) {
    return "no container exists";
  }
  std::string out = d.value("status", "");
  if (d.contains("health") && d["health"].is_object()) {
    out += " (health " + d["health"].value("status", "?") + ")";
  }
  return out;
}

int run(const GlobalOptions& global, const EvidenceOptions& o) {
  auto d = connectDaemon(global);
  if (!d) {
    std::cerr << "medic evidence: " << d.error().message << "\n";
    return kExitError;
  }
  if (!o.id.empty()) {
    auto r = d->call("GET", "/api/v1/evidence/" + percentEncode(o.id));
    if (!r) {
      std::cerr << "medic evidence: " << r.error().message << "\n";
      return r.error().kind == ErrorKind::kNotFound ? kExitUnhealthy : kExitError;
    }
    if (global.json) {
      std::cout << r->dump(2) << "\n";
    } else {
      std::cout << fmt::format("id       {}\nservice  {}\nkind     {}\ntime     {}\nhash     {}\n",
                               r->value("id", ""), r->value("service", ""), r->value("kind", ""),
                               r->value("time", ""), r->value("hash", ""));
      std::cout << "data     " << (*r)["data"].dump(2) << "\n";
    }
    return kExitOk;
  }
  if (o.limit < 1 || o.limit > 1000) {
    std::cerr << "medic evidence: --limit must be from 1 to 1000\n";
    return kExitError;
  }
  std::string path = "/api/v1/evidence?limit=" + std::to_string(o.limit);
  if (!o.service.empty()) path += "&service=" + percentEncode(o.service);
  auto r = d->call("GET", path);
  if (!r) {
    std::cerr << "medic evidence: " << r.error().message << "\n";
    return kExitError;
  }
  if (global.json) {
    std::cout << r->dump(2) << "\n";
    return kExitOk;
  }
  if (r->empty()) {
    std::cout << "no evidence stored" << (o.service.empty() ? "" : " for " + o.service) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("{:<28} {:<25} {:>8}  {:<20} {:<13} {}\n", "ID", "TIME", "AGE",
                           "SERVICE", "KIND", "SUMMARY");
  for (const auto& e : *r) {
    std::cout << fmt::format("{:<28} {:<25} {:>7.1f}s  {:<20} {:<13} {}\n", e.value("id", ""),
                             e.value("time", ""), e.value("age_seconds", 0.0),
                             e.value("service", ""), e.value("kind", ""), summaryOf(e));
  }
  return kExitOk;
}

}  // namespace

void registerEvidence(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto o = std::make_shared<EvidenceOptions>();
  auto* cmd = root.add_subcommand(
      "evidence",
      "Show the evidence medic stored: what was measured, when, and the raw (redacted) result.\n"
      "Without ID, lists the newest records; with ID, shows that record in full. Needs a running\n"
      "daemon (found through the state dir, or --url). Exit status: 0 shown, 1 no such record,\n"
      "2 error.");
  cmd->footer(
      "Examples:\n  medic evidence --service webui --limit 5\n"
      "  medic evidence ev-mi3x9k2-1a2b3c4d --json");
  cmd->add_option("ID", o->id, "Evidence id (from a status, claim or gate verdict)");
  cmd->add_option("--service", o->service, "Only records about this service (or endpoint:NAME)");
  cmd->add_option("--limit", o->limit, "How many records to list (1-1000, default 20)");
  cmd->callback([&global, &exit_status, o] { exit_status = run(global, *o); });
}

}  // namespace medic::cli
