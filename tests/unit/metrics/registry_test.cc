#include "metrics/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace medic::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Registry, RendersASmallRegistryExactly) {
  Registry registry;
  auto& restarts = registry.counter("app_restarts_total", "Restarts.", {"service"});
  auto& up = registry.gauge("app_up", "1 when up.");
  auto& latency = registry.histogram("app_latency_seconds", "Latency.", {}, {0.1, 1});
  restarts.with({{"service", "webui"}}).inc();
  restarts.with({{"service", "api"}}).inc(2);
  up.withoutLabels().set(1);
  latency.withoutLabels().observe(0.05);
  latency.withoutLabels().observe(0.5);
  latency.withoutLabels().observe(7);

  EXPECT_EQ(registry.render(),
            "# HELP app_latency_seconds Latency.\n"
            "# TYPE app_latency_seconds histogram\n"
            "app_latency_seconds_bucket{le=\"0.1\"} 1\n"
            "app_latency_seconds_bucket{le=\"1\"} 2\n"
            "app_latency_seconds_bucket{le=\"+Inf\"} 3\n"
            "app_latency_seconds_sum 7.55\n"
            "app_latency_seconds_count 3\n"
            "# HELP app_restarts_total Restarts.\n"
            "# TYPE app_restarts_total counter\n"
            "app_restarts_total{service=\"api\"} 2\n"
            "app_restarts_total{service=\"webui\"} 1\n"
            "# HELP app_up 1 when up.\n"
            "# TYPE app_up gauge\n"
            "app_up 1\n");
}

TEST(Registry, FamilyWithoutLabelsShowsZeroBeforeAnyUpdate) {
  Registry registry;
  registry.counter("reconnects_total", "Reconnects.");
  EXPECT_EQ(registry.render(),
            "# HELP reconnects_total Reconnects.\n# TYPE reconnects_total counter\n"
            "reconnects_total 0\n");
}

TEST(Registry, LabelledFamilyWithoutChildrenIsLeftOut) {
  Registry registry;
  registry.counter("failures_total", "Failures.", {"sink"});
  registry.gauge("up", "Up.");
  EXPECT_EQ(registry.render(), "# HELP up Up.\n# TYPE up gauge\nup 0\n");
}

TEST(Registry, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.gauge("g", "Back\\slash and\nnewline \"quoted\".", {"path"})
      .with({{"path", "C:\\dir\n\"x\""}})
      .set(1);
  EXPECT_EQ(registry.render(),
            "# HELP g Back\\\\slash and\\nnewline \"quoted\".\n"
            "# TYPE g gauge\n"
            "g{path=\"C:\\\\dir\\n\\\"x\\\"\"} 1\n");
}

TEST(Registry, LabelsRenderInDeclaredOrderWhateverOrderTheCallerUses) {
  Registry registry;
  auto& family = registry.counter("r_total", "R.", {"service", "action", "result"});
  family.with({{"result", "success"}, {"service", "webui"}, {"action", "restart"}}).inc();
  family.with({{"action", "restart"}, {"result", "success"}, {"service", "webui"}}).inc();
  family.with({{"service", "api"}, {"action", "start"}, {"result", "failure"}}).inc();
  EXPECT_EQ(registry.render(),
            "# HELP r_total R.\n# TYPE r_total counter\n"
            "r_total{service=\"api\",action=\"start\",result=\"failure\"} 1\n"
            "r_total{service=\"webui\",action=\"restart\",result=\"success\"} 2\n");
  EXPECT_EQ(family.size(), 2u);
}

TEST(Registry, OutputIsTheSameWhateverOrderThingsWereDeclaredAndUpdated) {
  Registry a;
  auto& a_zeta = a.gauge("zeta", "Z.", {"k"});
  auto& a_alpha = a.gauge("alpha", "A.", {"k"});
  a_zeta.with({{"k", "b"}}).set(2);
  a_alpha.with({{"k", "x"}}).set(1);
  a_zeta.with({{"k", "a"}}).set(1);
  Registry b;
  auto& b_alpha = b.gauge("alpha", "A.", {"k"});
  auto& b_zeta = b.gauge("zeta", "Z.", {"k"});
  b_zeta.with({{"k", "a"}}).set(1);
  b_zeta.with({{"k", "b"}}).set(2);
  b_alpha.with({{"k", "x"}}).set(1);
  EXPECT_EQ(a.render(), b.render());
  EXPECT_EQ(a.render(),
            "# HELP alpha A.\n# TYPE alpha gauge\nalpha{k=\"x\"} 1\n"
            "# HELP zeta Z.\n# TYPE zeta gauge\nzeta{k=\"a\"} 1\nzeta{k=\"b\"} 2\n");
}

TEST(Registry, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry registry;
  auto& h = registry.histogram("d_seconds", "D.", {"kind"}, {0.01, 0.1, 1});
  auto& http = h.with({{"kind", "http"}});
  http.observe(0.01);  // on a bound: counts in that bucket ("le" is inclusive)
  http.observe(0.02);
  http.observe(0.03);
  http.observe(2);
  http.observe(std::nan(""));  // ignored
  EXPECT_EQ(http.count(), 4u);
  EXPECT_EQ(http.cumulativeCounts(), (std::vector<std::uint64_t>{1, 3, 3, 4}));
  EXPECT_EQ(registry.render(),
            "# HELP d_seconds D.\n# TYPE d_seconds histogram\n"
            "d_seconds_bucket{kind=\"http\",le=\"0.01\"} 1\n"
            "d_seconds_bucket{kind=\"http\",le=\"0.1\"} 3\n"
            "d_seconds_bucket{kind=\"http\",le=\"1\"} 3\n"
            "d_seconds_bucket{kind=\"http\",le=\"+Inf\"} 4\n"
            "d_seconds_sum{kind=\"http\"} 2.06\n"
            "d_seconds_count{kind=\"http\"} 4\n");
}

TEST(Registry, DefaultBucketsSpanFiveMillisecondsToAMinute) {
  const auto& b = defaultSecondsBuckets();
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(b.front(), 0.005);
  EXPECT_EQ(b.back(), 60);
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  Registry registry;
  registry.histogram("x_seconds", "X.").withoutLabels().observe(90);
  const std::string text = registry.render();
  EXPECT_THAT(text, HasSubstr("x_seconds_bucket{le=\"0.005\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("x_seconds_bucket{le=\"60\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("x_seconds_bucket{le=\"+Inf\"} 1\n"));
}

TEST(Registry, CounterNeverGoesDown) {
  Counter c;
  c.inc(3);
  c.inc(-1);
  c.inc(std::nan(""));
  EXPECT_EQ(c.value(), 3);
}

TEST(Registry, RemoveAndClearDropChildren) {
  Registry registry;
  auto& g = registry.gauge("g", "G.", {"service"});
  g.with({{"service", "a"}}).set(1);
  g.with({{"service", "b"}}).set(1);
  g.remove({{"service", "a"}});
  EXPECT_THAT(registry.render(), Not(HasSubstr("service=\"a\"")));
  EXPECT_THAT(registry.render(), HasSubstr("g{service=\"b\"} 1\n"));
  g.clear();
  EXPECT_EQ(registry.render(), "");
}

TEST(Registry, MissingLabelRendersEmptyAndUndeclaredLabelIsIgnored) {
  Registry registry;
  auto& g = registry.gauge("g", "G.", {"a", "b"});
  g.with({{"b", "2"}}).set(1);
#ifdef NDEBUG
  // Release builds ignore a misspelt label instead of taking the daemon down (debug asserts).
  g.with({{"a", "1"}, {"b", "2"}, {"typo", "x"}}).set(5);
  EXPECT_THAT(registry.render(), HasSubstr("g{a=\"1\",b=\"2\"} 5\n"));
#endif
  EXPECT_THAT(registry.render(), HasSubstr("g{a=\"\",b=\"2\"} 1\n"));
}

TEST(Registry, FormatsSpecialValuesAsPrometheusSpellsThem) {
  EXPECT_EQ(formatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(formatValue(std::nan("")), "NaN");
  EXPECT_EQ(formatValue(0), "0");
  EXPECT_EQ(formatValue(42), "42");
  EXPECT_EQ(formatValue(0.25), "0.25");
  EXPECT_EQ(formatValue(1.5e9), "1500000000");
  EXPECT_EQ(formatValue(-3), "-3");
}

TEST(Registry, ScrapeGaugesComeFromCollectorsAtEveryRender) {
  Registry registry;
  auto& up = registry.scrapeGauge("svc_up", "Up.", {"service"});
  std::vector<std::pair<std::string, double>> services = {{"webui", 1}, {"db", 0}};
  int runs = 0;
  registry.addCollector([&](Scrape& scrape) {
    ++runs;
    for (const auto& [name, value] : services) scrape.set(up, {{"service", name}}, value);
  });
  EXPECT_EQ(registry.render(),
            "# HELP svc_up Up.\n# TYPE svc_up gauge\n"
            "svc_up{service=\"db\"} 0\n"
            "svc_up{service=\"webui\"} 1\n");
  services = {{"webui", 0}};  // db is no longer protected: its series vanishes
  EXPECT_EQ(registry.render(),
            "# HELP svc_up Up.\n# TYPE svc_up gauge\nsvc_up{service=\"webui\"} 0\n");
  services.clear();  // no samples: the family is left out, not rendered empty
  EXPECT_EQ(registry.render(), "");
  EXPECT_EQ(runs, 3);
}

TEST(Registry, LastValueSetInAScrapeWins) {
  Registry registry;
  auto& g = registry.scrapeGauge("g", "G.", {"k"});
  registry.addCollector([&](Scrape& s) {
    s.set(g, {{"k", "x"}}, 0);
    s.set(g, {{"k", "x"}}, 1);
  });
  EXPECT_EQ(registry.render(), "# HELP g G.\n# TYPE g gauge\ng{k=\"x\"} 1\n");
}

TEST(Registry, RefusesInvalidOrDuplicateDeclarations) {
  Registry registry;
  registry.counter("ok_total", "Ok.");
  registry.histogram("lat_seconds", "Lat.");
  EXPECT_THROW(registry.counter("ok_total", "Again."), std::invalid_argument);
  EXPECT_THROW(registry.gauge("ok_total", "Other type."), std::invalid_argument);
  EXPECT_THROW(registry.gauge("lat_seconds_count", "Clashes."), std::invalid_argument);
  EXPECT_THROW(registry.scrapeGauge("lat_seconds_bucket", "Clashes."), std::invalid_argument);
  EXPECT_THROW(registry.gauge("1bad", "Bad."), std::invalid_argument);
  EXPECT_THROW(registry.gauge("has-dash", "Bad."), std::invalid_argument);
  EXPECT_THROW(registry.gauge("g", "Bad label.", {"bad-label"}), std::invalid_argument);
  EXPECT_THROW(registry.gauge("g", "Reserved.", {"__name"}), std::invalid_argument);
  EXPECT_THROW(registry.gauge("g", "Twice.", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("h", "le.", {"le"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("h", "Unsorted.", {}, {1, 0.5}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("h", "Inf.", {}, {1, std::numeric_limits<double>::infinity()}),
               std::invalid_argument);
  EXPECT_NO_THROW(registry.gauge("g", "Fine with le on a gauge.", {"le"}));
  EXPECT_NO_THROW(registry.gauge("ns:rule_metric", "Colons are valid."));
}

TEST(Registry, NameValidation) {
  EXPECT_TRUE(isValidMetricName("medic_health_score"));
  EXPECT_TRUE(isValidMetricName("_x:y"));
  EXPECT_FALSE(isValidMetricName(""));
  EXPECT_FALSE(isValidMetricName("9lives"));
  EXPECT_FALSE(isValidMetricName("a.b"));
  EXPECT_TRUE(isValidLabelName("service"));
  EXPECT_FALSE(isValidLabelName("a:b"));
  EXPECT_FALSE(isValidLabelName(""));
}

}  // namespace
}  // namespace medic::metrics
