// The tools (issue 17): each is one call to medic's HTTP API (docs/api.md), so an MCP answer is
// exactly what the API, the CLI and the dashboards say. Every answer that states health carries
// the evidence ids it rests on and their age; a state without evidence is called unknown.
#include "mcp/tools.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>

#include <fmt/format.h>

namespace medic::mcp {
namespace {

using nlohmann::json;

json str(const std::string& description) { return {{"type", "string"}, {"description", description}}; }
json strings() { return {{"type", "array"}, {"items", {{"type", "string"}}}}; }
json nullableNumber() { return {{"type", json::array({"number", "null"})}}; }
json nullableString() { return {{"type", json::array({"string", "null"})}}; }
json object(json properties, json required, bool closed) {
  json o = {{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}};
  if (closed) o["additionalProperties"] = false;
  return o;
}
json noArguments() { return object(json::object(), json::array(), true); }

const json& serviceName() {
  static const json s = {{"type", "string"},
                         {"minLength", 1},
                         {"description",
                          "a protected service's name as `status` lists it (e.g. webui, or "
                          "project/service when ambiguous)"}};
  return s;
}

/// What a service's state rests on, shared by status, service and recover.
json serviceSummarySchema() {
  return object({{"name", {{"type", "string"}}},
                 {"state", {{"type", "string"}}},
                 {"critical", {{"type", "boolean"}}},
                 {"docker_state", {{"type", "string"}}},
                 {"waiting_for", nullableString()},
                 {"evidence", strings()},
                 {"evidence_age_seconds", nullableNumber()}},
                {"name", "state", "evidence", "evidence_age_seconds"}, false);
}

json serviceSummary(const json& s) {
  return {{"name", s.value("name", "")},
          {"state", s.value("state", "unknown")},
          {"critical", s.value("critical", false)},
          {"docker_state", s.value("docker_state", "unknown")},
          {"waiting_for", s.contains("waiting_for") && s["waiting_for"].is_string() ? s["waiting_for"] : json()},
          {"evidence", s.value("evidence", json::array())},
          {"evidence_age_seconds",
           s.contains("evidence_age_seconds") && s["evidence_age_seconds"].is_number()
               ? s["evidence_age_seconds"]
               : json()}};
}

std::string ageText(const json& age) {
  return age.is_number() ? fmt::format("{:.1f} s old", age.get<double>()) : "age unknown";
}

/// "webui: failed (docker: absent); evidence ev-1, ev-2, 0.4 s old". A state with no evidence is
/// reported as unknown: medic never calls anything healthy without it.
std::string serviceLine(const json& s) {
  const auto& ids = s["evidence"];
  std::string state = s.value("state", "unknown");
  std::string line = s.value("name", "") + ": ";
  if (ids.empty()) {
    return line + "no evidence yet, so its health is unknown (medic's state: " + state + ")";
  }
  line += state + " (docker: " + s.value("docker_state", "unknown") + ")";
  if (s.contains("waiting_for") && s["waiting_for"].is_string()) {
    line += ", waiting for " + s["waiting_for"].get<std::string>();
  }
  std::string list;
  for (const auto& id : ids) list += (list.empty() ? "" : ", ") + id.get<std::string>();
  return line + "; evidence " + list + ", " + ageText(s["evidence_age_seconds"]);
}

/// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS[.fff]Z".
std::optional<double> parseTime(const std::string& t) {
  std::tm tm{};
  int ms = 0;
  char frac[8] = {0};
  if (t.size() < 20 || t.back() != 'Z') return std::nullopt;
  if (sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
             &tm.tm_min, &tm.tm_sec) != 6) {
    return std::nullopt;
  }
  if (t.size() > 20 && t[19] == '.') {
    size_t n = 0;
    for (size_t i = 20; i < t.size() - 1 && n < 3; ++i) frac[n++] = t[i];
    while (n < 3) frac[n++] = '0';
    ms = std::atoi(frac);
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) + ms / 1000.0;
}

/// [{id, kind, time, age_seconds}] for each record of an answer's evidence_records.
json evidenceAges(const json& records, const std::string& now) {
  json out = json::array();
  for (const auto& r : records.is_array() ? records : json::array()) {
    auto age = secondsBetween(r.value("time", ""), now);
    out.push_back({{"id", r.value("id", "")},
                   {"kind", r.value("kind", "")},
                   {"time", r.value("time", "")},
                   {"age_seconds", age ? json(std::max(0.0, *age)) : json()}});
  }
  return out;
}

json evidenceAgesSchema() {
  return {{"type", "array"},
          {"items", object({{"id", {{"type", "string"}}},
                            {"kind", {{"type", "string"}}},
                            {"time", {{"type", "string"}}},
                            {"age_seconds", nullableNumber()}},
                           {"id", "age_seconds"}, false)}};
}

std::string idList(const json& ids) {
  std::string list;
  for (const auto& id : ids.is_array() ? ids : json::array()) {
    if (id.is_string()) list += (list.empty() ? "" : ", ") + id.get<std::string>();
  }
  return list.empty() ? "none" : list;
}

// ---- the tools, one function each ----

Tool statusTool() {
  Tool t;
  t.name = "status";
  t.title = "Health of every protected service";
  t.description =
      "What medic sees now: the health score, every protected service and endpoint with its state "
      "and the ids and age of the evidence that state rests on. A state without evidence is "
      "unknown, never healthy. Read-only.";
  t.input_schema = noArguments();
  t.output_schema = object(
      {{"time", {{"type", "string"}}},
       {"health_score", nullableNumber()},
       {"health_score_note", {{"type", "string"}}},
       {"engine_reachable", {{"type", "boolean"}}},
       {"observe_only", {{"type", "boolean"}}},
       {"panic", {{"type", "boolean"}}},
       {"services", {{"type", "array"}, {"items", serviceSummarySchema()}}},
       {"endpoints", {{"type", "array"}, {"items", serviceSummarySchema()}}}},
      {"time", "health_score", "engine_reachable", "observe_only", "services", "endpoints"}, false);
  t.request = [](const json&) { return ApiCall{"GET", "/api/v1/status"}; };
  t.answer = [](const json&, const json& a) {
    json services = json::array(), endpoints = json::array();
    for (const auto& s : a.value("services", json::array())) services.push_back(serviceSummary(s));
    for (const auto& e : a.value("endpoints", json::array())) endpoints.push_back(serviceSummary(e));
    json out = {{"time", a.value("time", "")},
                {"health_score", a.contains("health_score") ? a["health_score"] : json()},
                {"health_score_note", a.value("health_score_note", "")},
                {"engine_reachable", a.value("/engine/reachable"_json_pointer, false)},
                {"observe_only", a.value("observe_only", false)},
                {"panic", a.value("panic", false)},
                {"services", services},
                {"endpoints", endpoints}};
    std::string text = out["health_score"].is_number()
                           ? fmt::format("health score {:.0f} of 100", out["health_score"].get<double>())
                           : "no health score: " + out["health_score_note"].get<std::string>();
    if (!out["engine_reachable"].get<bool>()) text += "; the Docker engine is unreachable";
    if (out["observe_only"].get<bool>()) text += "; medic is observe-only (it repairs nothing)";
    if (out["panic"].get<bool>()) text += "; panic mode (too many failures at once)";
    for (const auto& s : services) text += "\n- " + serviceLine(s);
    for (const auto& e : endpoints) text += "\n- endpoint " + serviceLine(e);
    return ToolOutput{out, text};
  };
  return t;
}

Tool serviceTool() {
  Tool t;
  t.name = "service";
  t.title = "One service in detail";
  t.description =
      "One protected service as medic sees it now: state, container, probes with their last "
      "results, attempts, maintenance, last incident, and the evidence ids and age its state rests "
      "on. Read-only.";
  t.input_schema = object({{"name", serviceName()}}, {"name"}, true);
  auto schema = serviceSummarySchema();
  schema["properties"]["probes"] = {{"type", "array"}};
  schema["properties"]["last_incident"] = {{"type", json::array({"object", "null"})}};
  t.output_schema = schema;
  t.request = [](const json& args) {
    return ApiCall{"GET", "/api/v1/services/" + encodeSegment(args["name"].get<std::string>())};
  };
  t.answer = [](const json&, const json& a) {
    json out = a;
    auto summary = serviceSummary(a);
    for (const auto& [k, v] : summary.items()) out[k] = v;
    std::string text = serviceLine(summary);
    for (const auto& p : a.value("probes", json::array())) {
      text += fmt::format("\n- probe {}: {} ({}; evidence {})", p.value("name", ""),
                          p.value("ok", false) ? "passing" : "failing", p.value("summary", ""),
                          p.value("evidence", json("-")).is_string() ? p["evidence"].get<std::string>() : "-");
    }
    if (a.contains("last_incident") && a["last_incident"].is_object()) {
      const auto& i = a["last_incident"];
      text += fmt::format("\nlast incident: {} detected {}, outcome {}", i.value("kind", ""),
                          i.value("detected_at", ""), i.value("outcome", ""));
    }
    return ToolOutput{out, text};
  };
  return t;
}

Tool claimTool() {
  Tool t;
  t.name = "claim";
  t.title = "Check a health claim against fresh evidence";
  t.description =
      "Before you report that a service is healthy, serving or gone, ask medic. It inspects the "
      "container now and judges the claim on evidence no older than max_age: accepted (the evidence "
      "supports it), rejected (with the contradicting record) or unknown (no fresh evidence; never "
      "report such a claim as true). Records the verdict (validation_results channel, a warning "
      "alert when rejected); needs medic's token like POST /api/v1/claims.";
  t.input_schema = object(
      {{"text", str("the claim as you would write it, e.g. \"webui is healthy\"")},
       {"service", serviceName()},
       {"expect", {{"type", "string"},
                   {"enum", {"healthy", "serving", "absent"}},
                   {"description", "healthy (running, Docker health and probes passing; default), "
                                   "serving (its HTTP probes answer) or absent (no container)"}}},
       {"max_age", str("how old the evidence may be, a duration like 60s (default) or 5m")}},
      {"service"}, true);
  t.output_schema = object({{"text", {{"type", "string"}}},
                            {"service", {{"type", "string"}}},
                            {"expect", {{"type", "string"}}},
                            {"max_age_seconds", {{"type", "number"}}},
                            {"verdict", {{"type", "string"}, {"enum", {"accepted", "rejected", "unknown"}}}},
                            {"reason", {{"type", "string"}}},
                            {"evidence", strings()},
                            {"evidence_ages", evidenceAgesSchema()},
                            {"contradicting", {{"type", json::array({"object", "null"})}}},
                            {"time", {{"type", "string"}}}},
                           {"verdict", "reason", "evidence", "evidence_ages", "contradicting"}, false);
  t.read_only = false;  // it records evidence and the verdict, and raises or resolves an alert
  t.needs_token = true;
  t.request = [](const json& args) { return ApiCall{"POST", "/api/v1/claims", args, true}; };
  t.answer = [](const json&, const json& a) {
    const std::string now = a.value("time", "");
    const auto records = a.value("evidence_records", json::array());
    const std::string verdict = a.value("verdict", "unknown");
    json out = {{"text", a.value("text", "")},
                {"service", a.value("service", "")},
                {"expect", a.value("expect", "")},
                {"max_age_seconds", a.value("max_age_seconds", 0.0)},
                {"verdict", verdict},
                {"reason", a.value("reason", "")},
                {"evidence", a.value("evidence", json::array())},
                {"evidence_ages", evidenceAges(records, now)},
                {"contradicting", verdict == "rejected" && !records.empty() ? records[0] : json()},
                {"time", now}};
    std::string text = fmt::format("{}: \"{}\" — {}", verdict, out["text"].get<std::string>(),
                                   out["reason"].get<std::string>());
    for (const auto& e : out["evidence_ages"]) {
      text += fmt::format("\n- evidence {} ({}, {})", e.value("id", ""), e.value("kind", ""),
                          ageText(e["age_seconds"]));
    }
    if (verdict == "rejected" && out["contradicting"].is_object()) {
      text += "\ncontradicting record: " + out["contradicting"].dump().substr(0, 600);
    }
    if (verdict == "unknown") text += "\nno fresh evidence: do not report this claim as true";
    return ToolOutput{out, text};
  };
  return t;
}

Tool gateTool() {
  Tool t;
  t.name = "gate";
  t.title = "Run a phase gate on fresh evidence";
  t.description =
      "Runs phase N's gate (seeded: 0 preflight, 3 baseline, 5 implementation safety, 6 "
      "infrastructure validation, 9 production accessibility; others from `phases:` in medic.yaml) "
      "on evidence gathered now: every check with its verdict and evidence ids. A phase passes "
      "only when every check does. Probes and inspects, records the evidence and the verdict; "
      "changes no container. Needs medic's token.";
  t.input_schema = object(
      {{"phase", {{"type", "integer"}, {"minimum", 0}, {"maximum", 9}, {"description", "the phase number, 0-9"}}}},
      {"phase"}, true);
  json check = object({{"requirement", {{"type", "string"}}},
                       {"subject", {{"type", "string"}}},
                       {"pass", {{"type", "boolean"}}},
                       {"reason", {{"type", "string"}}},
                       {"evidence", strings()}},
                      {"requirement", "subject", "pass", "reason", "evidence"}, false);
  t.output_schema = object({{"phase", {{"type", "integer"}}},
                            {"name", {{"type", "string"}}},
                            {"verdict", {{"type", "string"}, {"enum", {"pass", "fail"}}}},
                            {"pass", {{"type", "boolean"}}},
                            {"reason", {{"type", "string"}}},
                            {"max_evidence_age_seconds", {{"type", "number"}}},
                            {"checks", {{"type", "array"}, {"items", check}}},
                            {"evidence", strings()},
                            {"evidence_ages", evidenceAgesSchema()},
                            {"time", {{"type", "string"}}}},
                           {"phase", "verdict", "pass", "reason", "checks", "evidence"}, false);
  // Like a claim: it records evidence and the verdict and raises or resolves an alert, so the
  // API runs it only as a POST with the token.
  t.read_only = false;
  t.needs_token = true;
  t.request = [](const json& args) {
    return ApiCall{"POST", "/api/v1/gates/" + std::to_string(args["phase"].get<int>()), nullptr,
                   true};
  };
  t.answer = [](const json&, const json& a) {
    json out = a;
    out.erase("evidence_records");
    out["evidence_ages"] = evidenceAges(a.value("evidence_records", json::array()), a.value("time", ""));
    std::string text = fmt::format("phase {} ({}): {} — {}", a.value("phase", -1), a.value("name", ""),
                                   a.value("pass", false) ? "PASS" : "FAIL", a.value("reason", ""));
    for (const auto& c : a.value("checks", json::array())) {
      text += fmt::format("\n- {} {}: {} — {} (evidence {})", c.value("requirement", ""),
                          c.value("subject", ""), c.value("pass", false) ? "pass" : "fail",
                          c.value("reason", ""), idList(c.value("evidence", json::array())));
    }
    return ToolOutput{out, text};
  };
  return t;
}

Tool evidenceTool() {
  Tool t;
  t.name = "evidence";
  t.title = "One evidence record";
  t.description =
      "The stored evidence record behind an id that another answer cited: what was measured, when, "
      "its hash and its raw data (secrets redacted before it was stored). Read-only.";
  t.input_schema = object({{"id", {{"type", "string"}, {"minLength", 1}, {"description", "an evidence id, e.g. ev-mi3x9k2-1a2b3c4d"}}}},
                          {"id"}, true);
  t.output_schema = object({{"id", {{"type", "string"}}},
                            {"service", {{"type", "string"}}},
                            {"kind", {{"type", "string"}}},
                            {"time", {{"type", "string"}}},
                            {"hash", {{"type", "string"}}},
                            {"data", json::object()}},
                           {"id", "service", "kind", "time", "hash", "data"}, false);
  t.request = [](const json& args) {
    return ApiCall{"GET", "/api/v1/evidence/" + encodeSegment(args["id"].get<std::string>())};
  };
  t.answer = [](const json&, const json& a) {
    std::string data = a.contains("data") ? a["data"].dump() : "null";
    if (data.size() > 800) data = data.substr(0, 800) + "…";
    return ToolOutput{a, fmt::format("{}: {} of {} at {} (hash {})\n{}", a.value("id", ""),
                                     a.value("kind", ""), a.value("service", ""), a.value("time", ""),
                                     a.value("hash", ""), data)};
  };
  return t;
}

Tool incidentsTool() {
  Tool t;
  t.name = "incidents";
  t.title = "Incidents of a recent window";
  t.description =
      "Every incident detected in the window (default the last 24 h), open or closed, oldest "
      "first: kind, detection and recovery times, outcome and evidence ids. Read-only.";
  t.input_schema = object({{"since", str("the window, a duration like 24h (default) or 7d")}}, json::array(), true);
  t.output_schema = object({{"since", {{"type", "string"}}},
                            {"incidents", {{"type", "array"}, {"items", {{"type", "object"}}}}}},
                           {"since", "incidents"}, false);
  t.request = [](const json& args) {
    return ApiCall{"GET", "/api/v1/incidents?since=" + encodeSegment(args.value("since", "24h"))};
  };
  t.answer = [](const json& args, const json& a) {
    json out = {{"since", args.value("since", "24h")}, {"incidents", a.is_array() ? a : json::array()}};
    std::string text = fmt::format("{} incident(s) in the last {}", out["incidents"].size(),
                                   out["since"].get<std::string>());
    for (const auto& i : out["incidents"]) {
      text += fmt::format("\n- {} {} detected {}: {} (evidence {})", i.value("service", ""),
                          i.value("kind", ""), i.value("detected_at", ""), i.value("outcome", ""),
                          idList(i.value("evidence", json::array())));
    }
    return ToolOutput{out, text};
  };
  return t;
}

Tool baselineDiffTool() {
  Tool t;
  t.name = "baseline_diff";
  t.title = "Compare the host to the recorded baseline";
  t.description =
      "Inspects every protected service now and lists how it differs from the baseline an operator "
      "recorded with `medic baseline` (image, env and label hashes, ports, networks, health), with "
      "the evidence of the current state. Changes nothing on the host.";
  t.input_schema = noArguments();
  json difference = object({{"service", {{"type", "string"}}},
                            {"kind", {{"type", "string"}}},
                            {"before", {{"type", "string"}}},
                            {"after", {{"type", "string"}}}},
                           {"service", "kind"}, false);
  t.output_schema = object({{"baseline_taken", {{"type", "string"}}},
                            {"matches", {{"type", "boolean"}}},
                            {"differences", {{"type", "array"}, {"items", difference}}},
                            {"evidence", strings()},
                            {"evidence_ages", evidenceAgesSchema()},
                            {"time", {{"type", "string"}}}},
                           {"matches", "differences", "evidence"}, false);
  t.request = [](const json&) { return ApiCall{"GET", "/api/v1/baseline/diff"}; };
  t.answer = [](const json&, const json& a) {
    json out = a;
    out.erase("evidence_records");
    out["evidence_ages"] = evidenceAges(a.value("evidence_records", json::array()), a.value("time", ""));
    std::string text = a.value("matches", false)
                           ? "the host matches the baseline of " + a.value("baseline_taken", std::string("?"))
                           : fmt::format("{} difference(s) from the baseline of {}",
                                         a.value("differences", json::array()).size(),
                                         a.value("baseline_taken", ""));
    for (const auto& d : a.value("differences", json::array())) {
      text += fmt::format("\n- {}: {}: {} -> {}", d.value("service", ""), d.value("kind", ""),
                          d.value("before", ""), d.value("after", ""));
    }
    text += "\nevidence " + idList(a.value("evidence", json::array()));
    return ToolOutput{out, text};
  };
  return t;
}

// ---- mutations: each needs the token ----

Tool recoverTool() {
  Tool t;
  t.name = "recover";
  t.title = "Recover a service now";
  t.description =
      "Clears a service's escalation and asks medic to recover it now by its usual ladder (start, "
      "restart, recreate from its snapshot, roll back). Asynchronous: follow it with `service` or "
      "subscribe to medic://services/{name}. Needs medic's token.";
  t.input_schema = object({{"service", serviceName()}}, {"service"}, true);
  auto schema = serviceSummarySchema();
  schema["properties"]["service"] = {{"type", "string"}};
  schema["properties"]["accepted"] = {{"type", "boolean"}};
  schema["required"] = {"service", "accepted", "state", "evidence"};
  t.output_schema = schema;
  t.read_only = false;
  t.destructive = true;  // restarts or replaces containers
  t.idempotent = false;
  t.needs_token = true;
  t.request = [](const json& args) {
    return ApiCall{"POST",
                   "/api/v1/services/" + encodeSegment(args["service"].get<std::string>()) + "/recover",
                   json::object(), true};
  };
  t.answer = [](const json&, const json& a) {
    auto out = serviceSummary(a.value("status", json::object()));
    out["service"] = a.value("service", "");
    out["accepted"] = a.value("accepted", false);
    out["name"] = out["service"];
    return ToolOutput{out, "recovery of " + out["service"].get<std::string>() +
                               " requested; medic picks the action by its ladder. Now: " +
                               serviceLine(out)};
  };
  return t;
}

Tool maintenanceTool() {
  Tool t;
  t.name = "maintenance";
  t.title = "Start or end a maintenance window";
  t.description =
      "For a planned stop: medic keeps observing the service but repairs nothing until the window "
      "ends. Give `for` (a duration) to start one, or `end: true` to end it. Needs medic's token.";
  t.input_schema = object({{"service", serviceName()},
                           {"for", str("how long, a duration like 10m")},
                           {"end", {{"type", "boolean"}, {"description", "true: end the window now"}}}},
                          {"service"}, true);
  t.output_schema = object({{"service", {{"type", "string"}}},
                            {"maintenance", {{"type", "boolean"}}},
                            {"until", {{"type", "string"}}}},
                           {"service", "maintenance"}, false);
  t.read_only = false;
  t.needs_token = true;
  t.request = [](const json& args) {
    json body = json::object();
    if (args.contains("for")) body["for"] = args["for"];
    if (args.contains("end")) body["end"] = args["end"];
    return ApiCall{"POST",
                   "/api/v1/services/" + encodeSegment(args["service"].get<std::string>()) + "/maintenance",
                   body, true};
  };
  t.answer = [](const json&, const json& a) {
    const auto name = a.value("service", "");
    return ToolOutput{a, a.value("maintenance", false)
                             ? name + " is in maintenance until " + a.value("until", "") +
                                   ": medic observes it and repairs nothing"
                             : name + " is out of maintenance: medic repairs it again"};
  };
  return t;
}

json deploySchema() {
  return object({{"id", {{"type", "string"}}},
                 {"service", {{"type", "string"}}},
                 {"image", {{"type", "string"}}},
                 {"phase", {{"type", "string"}}},
                 {"outcome", {{"type", "string"}}},
                 {"reason", {{"type", "string"}}},
                 {"evidence", strings()}},
                {"id", "service", "outcome"}, false);
}

Tool deployTool() {
  Tool t;
  t.name = "deploy";
  t.title = "Guarded deploy of a new image";
  t.description =
      "Replaces a service's container with `image` under medic's guard: preflight, snapshot, "
      "replace, validate (probes and every configured validator), and automatic rollback on any "
      "failure. Answers at once with the report so far (its id for confirm_deploy / "
      "reject_deploy); the report is on the deployment_coordination channel. Needs medic's token.";
  t.input_schema = object(
      {{"service", serviceName()},
       {"image", {{"type", "string"}, {"minLength", 1}, {"description", "the new image, e.g. shop/web:2.4"}}},
       {"strategy", {{"type", "string"}, {"enum", {"recreate", "start-first"}}}},
       {"timeout", str("how long validation may take, a duration like 90s")}},
      {"service", "image"}, true);
  t.output_schema = deploySchema();
  t.read_only = false;
  t.destructive = true;
  t.idempotent = false;
  t.needs_token = true;
  t.request = [](const json& args) { return ApiCall{"POST", "/api/v1/deploys", args, true}; };
  t.answer = [](const json&, const json& a) {
    return ToolOutput{a, fmt::format("deploy {} of {} to {}: {} ({})", a.value("id", ""),
                                     a.value("service", ""), a.value("image", ""),
                                     a.value("outcome", ""), a.value("phase", ""))};
  };
  return t;
}

Tool answerDeployTool(bool confirm) {
  Tool t;
  t.name = confirm ? "confirm_deploy" : "reject_deploy";
  t.title = confirm ? "Confirm a deploy as its validator" : "Reject a deploy as its validator";
  t.description =
      confirm ? "An external validator's confirmation of a running deploy (deploy.validators in "
                "medic.yaml). Needs medic's token."
              : "An external validator's rejection of a running deploy: medic rolls it back to the "
                "snapshot and validates the rollback. Needs medic's token.";
  json props = {{"id", {{"type", "string"}, {"minLength", 1}, {"description", "the deploy id, dep-…"}}},
                {"validator", str("which validator answers (when several are configured)")}};
  json required = {"id"};
  if (!confirm) {
    props["reason"] = {{"type", "string"}, {"minLength", 1}, {"description", "why it is rejected"}};
    required.push_back("reason");
  }
  t.input_schema = object(props, required, true);
  t.output_schema = object({{"deploy_id", {{"type", "string"}}},
                            {"validator", {{"type", "string"}}},
                            {"answer", {{"type", "string"}}},
                            {"reason", {{"type", "string"}}}},
                           {"deploy_id", "answer"}, false);
  t.read_only = false;
  t.destructive = !confirm;  // a rejection rolls the deploy back
  t.needs_token = true;
  t.request = [confirm](const json& args) {
    json body = args;
    body.erase("id");
    return ApiCall{"POST",
                   "/api/v1/deploys/" + encodeSegment(args["id"].get<std::string>()) +
                       (confirm ? "/confirm" : "/reject"),
                   body, true};
  };
  t.answer = [](const json&, const json& a) {
    return ToolOutput{a, fmt::format("deploy {}: validator {} {}{}", a.value("deploy_id", ""),
                                     a.value("validator", ""), a.value("answer", ""),
                                     a.value("reason", "").empty() ? "" : ": " + a.value("reason", ""))};
  };
  return t;
}

}  // namespace

json Tool::describe() const {
  return {{"name", name},
          {"title", title},
          {"description", description},
          {"inputSchema", input_schema},
          {"outputSchema", output_schema},
          {"annotations",
           {{"title", title},
            {"readOnlyHint", read_only},
            {"destructiveHint", destructive},
            {"idempotentHint", idempotent},
            {"openWorldHint", false}}}};
}

const std::vector<Tool>& tools() {
  static const std::vector<Tool> all = {
      statusTool(),      serviceTool(),  claimTool(),       gateTool(),
      evidenceTool(),    incidentsTool(), baselineDiffTool(), recoverTool(),
      maintenanceTool(), deployTool(),   answerDeployTool(true), answerDeployTool(false)};
  return all;
}

const Tool* findTool(const std::string& name) {
  for (const auto& t : tools()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string encodeSegment(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::optional<double> secondsBetween(const std::string& at, const std::string& now) {
  auto a = parseTime(at), n = parseTime(now);
  if (!a || !n) return std::nullopt;
  return *n - *a;
}

}  // namespace medic::mcp
