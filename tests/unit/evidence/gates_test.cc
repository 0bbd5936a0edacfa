#include "evidence/gates.h"

#include <gtest/gtest.h>

namespace medic::evidence {
namespace {

using namespace std::chrono_literals;

const WallTime kNow = WallTime(Millis(1'764'000'000'000));

Evidence running(const std::string& service, WallTime t, const char* health = "healthy") {
  return makeEvidence(kDockerState, service,
                      {{"status", "running"},
                       {"running", true},
                       {"paused", false},
                       {"exit_code", 0},
                       {"health", {{"status", health}}}},
                      t);
}
Evidence absent(const std::string& service, WallTime t) {
  return makeEvidence(kDockerState, service, {{"container", nullptr}, {"containers_listed", 2}}, t);
}
Evidence endpoint(const std::string& name, WallTime t, bool ok) {
  return makeEvidence(
      kHttp, endpointSubject(name),
      {{"probe", name}, {"ok", ok}, {"summary", ok ? "HTTP 200 in 3 ms" : "HTTP 503"}}, t);
}

config::PhaseConfig phase(int n) {
  return config::seededPhases().at(n);
}

GateInputs inputs(std::vector<Evidence> evidence) {
  GateInputs in;
  in.services = {{"web", "healthy", {}}, {"db", "healthy", {}}};
  in.evidence = std::move(evidence);
  in.now = kNow;
  return in;
}

const GateCheck* find(const GateVerdict& v, const std::string& req, const std::string& subject) {
  for (const auto& c : v.checks) {
    if (c.requirement == req && c.subject == subject) return &c;
  }
  return nullptr;
}

TEST(Gates, PreflightPassesOnFreshHealthyEvidenceCitingIt) {
  auto web = running("web", kNow - 2s);
  auto db = running("db", kNow - 3s);
  auto v = evaluateGate(phase(0), inputs({web, db}));
  EXPECT_TRUE(v.pass) << v.reason;
  ASSERT_EQ(v.checks.size(), 2u);
  EXPECT_EQ(v.evidenceIds(), (std::vector<std::string>{web.id, db.id}))
      << "every check cites the record it passed on";
  EXPECT_EQ(v.toJson()["verdict"], "pass");
}

TEST(Gates, RemovedServiceFailsPhase6NamingItAndItsEvidence) {
  auto gone = absent("web", kNow - 1s);
  auto db = running("db", kNow - 1s);
  auto v = evaluateGate(phase(6), inputs({running("web", kNow - 30s), gone, db}));
  EXPECT_FALSE(v.pass);
  const auto* c = find(v, "healthy", "web");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->pass);
  EXPECT_EQ(c->evidence_ids, std::vector<std::string>{gone.id});
  EXPECT_NE(v.reason.find("web"), std::string::npos) << v.reason;
  EXPECT_TRUE(find(v, "healthy", "db")->pass);
}

TEST(Gates, StaleEvidenceFailsAsUnknownNeverPasses) {
  auto cfg = phase(0);
  cfg.max_evidence_age = 10s;
  auto v = evaluateGate(cfg, inputs({running("web", kNow - 11s), running("db", kNow - 1s)}));
  EXPECT_FALSE(v.pass);
  const auto* c = find(v, "healthy", "web");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->pass);
  EXPECT_EQ(c->reason.rfind("unknown:", 0), 0u) << c->reason;
  EXPECT_TRUE(c->evidence_ids.empty());
}

TEST(Gates, AProbeWithoutFreshEvidenceFailsHealthy) {
  auto in = inputs({running("web", kNow - 1s), running("db", kNow - 1s)});
  in.services[0].probes = {"http http://127.0.0.1:18080/"};
  auto v = evaluateGate(phase(0), in);
  EXPECT_FALSE(v.pass);
  EXPECT_FALSE(find(v, "healthy", "web")->pass);
}

TEST(Gates, ImplementationSafetyNeedsPresenceAndNoRecovery) {
  auto in = inputs({running("web", kNow - 1s), running("db", kNow - 1s)});
  in.services[1].state = "recovering";
  auto v = evaluateGate(phase(5), in);
  EXPECT_FALSE(v.pass);
  EXPECT_TRUE(find(v, "present", "web")->pass);
  EXPECT_TRUE(find(v, "present", "db")->pass);
  EXPECT_TRUE(find(v, "no_recovery", "web")->pass);
  EXPECT_FALSE(find(v, "no_recovery", "db")->pass);

  in.services[1].state = "healthy";
  in.evidence.push_back(absent("web", kNow));
  v = evaluateGate(phase(5), in);
  EXPECT_FALSE(v.pass);
  EXPECT_FALSE(find(v, "present", "web")->pass) << "the newest record says it is gone";

  in.evidence.push_back(running("web", kNow));
  in.recovery_state_known = false;  // no daemon: nobody knows
  v = evaluateGate(phase(5), in);
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(find(v, "no_recovery", "web")->reason.rfind("unknown:", 0), 0u);
}

TEST(Gates, EndpointsAnswerOnFreshEvidence) {
  auto in = inputs({running("web", kNow - 1s), running("db", kNow - 1s)});
  in.endpoints = {"site", "api"};
  auto site = endpoint("site", kNow - 1s, true);
  auto api = endpoint("api", kNow - 1s, false);
  in.evidence.push_back(site);
  in.evidence.push_back(api);
  auto v = evaluateGate(phase(9), in);
  EXPECT_FALSE(v.pass);
  EXPECT_TRUE(find(v, "endpoints_answer", "site")->pass);
  EXPECT_EQ(find(v, "endpoints_answer", "api")->evidence_ids, std::vector<std::string>{api.id});
  EXPECT_EQ(find(v, "endpoints_answer", "api")->reason, "HTTP 503");

  in.evidence.push_back(endpoint("api", kNow, true));
  v = evaluateGate(phase(9), in);
  EXPECT_TRUE(v.pass) << v.reason;
  EXPECT_EQ(v.checks.size(), 2u) << "phase 9 checks endpoints only";
  // Phase 6 checks services and endpoints.
  EXPECT_EQ(evaluateGate(phase(6), in).checks.size(), 4u);
}

TEST(Gates, AnEndpointVerdictCitesAFreshScreenshotOfThePage) {
  auto in = inputs({});
  in.endpoints = {"site"};
  auto site = endpoint("site", kNow - 1s, true);
  auto old_shot =
      makeEvidence(kScreenshot, endpointSubject("site"), {{"ok", true}}, kNow - 10min);
  in.evidence = {site, old_shot};
  auto v = evaluateGate(phase(9), in);
  EXPECT_EQ(find(v, "endpoints_answer", "site")->evidence_ids, std::vector<std::string>{site.id})
      << "a picture older than the phase's evidence age is not cited";
  auto shot = makeEvidence(kScreenshot, endpointSubject("site"), {{"ok", true}}, kNow - 2s);
  auto other = makeEvidence(kScreenshot, endpointSubject("api"), {{"ok", true}}, kNow - 1s);
  in.evidence.push_back(shot);
  in.evidence.push_back(other);
  v = evaluateGate(phase(9), in);
  EXPECT_TRUE(v.pass) << v.reason;
  EXPECT_EQ(find(v, "endpoints_answer", "site")->evidence_ids,
            (std::vector<std::string>{site.id, shot.id}));
}

TEST(Gates, NothingToCheckIsNotAPass) {
  GateInputs in;
  in.now = kNow;
  auto v = evaluateGate(phase(9), in);  // no endpoints configured
  EXPECT_FALSE(v.pass);
  EXPECT_NE(v.reason.find("nothing to check"), std::string::npos);
  EXPECT_FALSE(evaluateGate(phase(0), in).pass);  // nothing protected
}

TEST(Gates, NamedServiceThatIsNotProtectedFails) {
  auto cfg = phase(0);
  cfg.all_services = false;
  cfg.services = {"web", "cache"};
  auto v = evaluateGate(cfg, inputs({running("web", kNow - 1s)}));
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.checks.size(), 2u) << "db is not named; cache is named but unknown";
  EXPECT_NE(find(v, "healthy", "cache")->reason.find("not a protected service"), std::string::npos);
}

BaselineService svc(const std::string& name, const std::string& image_id, const std::string& ev) {
  BaselineService s;
  s.name = name;
  s.present = true;
  s.image = "medic-testserver:v1";
  s.image_id = image_id;
  s.health = "healthy";
  s.evidence_id = ev;
  return s;
}

TEST(Gates, BaselinePhaseComparesTheHostToTheBaseline) {
  auto in = inputs({});
  in.current.services = {svc("web", "sha256:aaa", "ev-1")};
  auto v = evaluateGate(phase(3), in);
  EXPECT_FALSE(v.pass);
  EXPECT_NE(v.checks.at(0).reason.find("medic baseline"), std::string::npos)
      << "no baseline: says how to make one";

  Baseline b;
  b.taken = kNow - 1h;
  b.services = {svc("web", "sha256:aaa", "ev-0")};
  in.baseline = b;
  v = evaluateGate(phase(3), in);
  EXPECT_TRUE(v.pass) << v.reason;
  EXPECT_EQ(v.checks.at(0).evidence_ids, std::vector<std::string>{"ev-1"});

  in.current.services = {svc("web", "sha256:bbb", "ev-2")};
  v = evaluateGate(phase(3), in);
  EXPECT_FALSE(v.pass);
  EXPECT_NE(v.checks.at(0).reason.find("changed_image"), std::string::npos)
      << v.checks.at(0).reason;
}

}  // namespace
}  // namespace medic::evidence
