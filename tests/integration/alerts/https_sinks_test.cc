// Alert sinks over https against real TLS peers on 127.0.0.1: a private CA made here with the
// openssl CLI, https receivers (support/tls_peer.h), the sinks built from medic.yaml as the daemon
// builds them, and `medic alert test` run as an operator runs it.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "alerts/alert_queue.h"
#include "alerts/configure.h"
#include "config/config.h"
#include "support/process.h"
#include "support/require_tool.h"
#include "support/tls_peer.h"

namespace medic::alerts {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

const WallTime kT0 = WallTime(std::chrono::seconds(1'800'000'000));

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "medic-https-it-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

bool runUntil(boost::asio::io_context& io, const std::function<bool()>& done,
              milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = steady_clock::now() + timeout;
  while (!done() && steady_clock::now() < deadline) {
    io.restart();
    io.run_one_for(milliseconds(5));
  }
  return done();
}

AlertSpec failedWebui() {
  return AlertSpec{"failed:webui", Severity::kCritical, "webui", "webui failed",
                   "exited with code 137; medic restarts it", {}};
}

/// A CA, a second unrelated CA, and certificates: one for 127.0.0.1, one for the name localhost,
/// one for another name only.
class HttpsSinks : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDIC_REQUIRE_TOOL_OR_SKIP("/usr/bin/openssl", "openssl");
    ca_ = std::make_unique<test::TestCa>(dir_.path() / "ca", "medic test CA");
    ASSERT_EQ(ca_->error(), "");
    other_ca_ = std::make_unique<test::TestCa>(dir_.path() / "other-ca", "some other CA");
    ASSERT_EQ(other_ca_->error(), "");
    ip_cert_ = ca_->issue("receiver-ip", "IP:127.0.0.1");
    name_cert_ = ca_->issue("receiver-localhost", "DNS:localhost");
    wrong_name_cert_ = ca_->issue("receiver-elsewhere", "DNS:hooks.elsewhere.test");
    ASSERT_EQ(ca_->error(), "");
  }

  /// medic.yaml with `sinks` under alerts.sinks, parsed as the daemon parses it.
  config::Config configWith(const std::string& sinks) {
    const auto path = dir_.path() / "medic.yaml";
    std::ofstream(path) << "alerts:\n  sinks:\n" << sinks;
    return config::loadConfigFile(path.string());
  }

  /// Raises one alert through a queue holding the config's sinks; returns the first extra sink's
  /// counters once it has delivered or failed.
  SinkCounters deliverOnce(const config::Config& cfg) {
    boost::asio::io_context io;
    AlertQueue q(io.get_executor(), nullptr);
    auto st = addConfiguredSinks(q, cfg.alerts, dir_.path());
    EXPECT_TRUE(st) << (st ? "" : st.error().message);
    EXPECT_TRUE(q.start());
    EXPECT_TRUE(q.raise(failedWebui(), kT0));
    EXPECT_TRUE(runUntil(io, [&] {
      const auto c = q.counters().sinks.at(2);
      return c.sent + c.failed == 1;
    }));
    auto out = q.counters().sinks.at(2);
    q.stop();
    return out;
  }

  TempDir dir_;
  std::unique_ptr<test::TestCa> ca_;
  std::unique_ptr<test::TestCa> other_ca_;
  test::TestCa::Issued ip_cert_;
  test::TestCa::Issued name_cert_;
  test::TestCa::Issued wrong_name_cert_;
};

TEST_F(HttpsSinks, APrivateCaDeliversWithHeadersFromAFileAndTheEnvironment) {
  test::HttpsReceiver receiver(ip_cert_.cert, ip_cert_.key);
  std::ofstream(dir_.path() / "token") << "Bearer file-secret-123\n";
  ::setenv("MEDIC_IT_HOOK_KEY", "env-secret-456", 1);
  const auto cfg = configWith(
      "    - type: webhook\n"
      "      name: ops\n"
      "      url: https://127.0.0.1:" + std::to_string(receiver.port()) + "/hooks/medic\n"
      "      ca_file: " + ca_->caFile().string() + "\n"
      "      headers:\n"
      "        Authorization: {file: " + (dir_.path() / "token").string() + "}\n"
      "        X-Api-Key: {env: MEDIC_IT_HOOK_KEY}\n"
      "        X-Team: web\n");
  const auto c = deliverOnce(cfg);
  ::unsetenv("MEDIC_IT_HOOK_KEY");
  EXPECT_EQ(c.name, "ops");
  EXPECT_EQ(c.sent, 1u) << c.last_error;
  const auto got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/hooks/medic");
  EXPECT_EQ(got[0].headers.at("authorization"), "Bearer file-secret-123");
  EXPECT_EQ(got[0].headers.at("x-api-key"), "env-secret-456");
  EXPECT_EQ(got[0].headers.at("x-team"), "web");
  EXPECT_EQ(got[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(got[0].sni, "") << "no SNI for an IP address (RFC 6066)";
  EXPECT_EQ(nlohmann::json::parse(got[0].body)["alert"]["dedup_key"], "failed:webui");
}

TEST_F(HttpsSinks, AWrongCaIsRefusedAtOnceWithTheVerificationFailure) {
  test::HttpsReceiver receiver(ip_cert_.cert, ip_cert_.key);
  const auto cfg = configWith(
      "    - type: webhook\n"
      "      url: https://127.0.0.1:" + std::to_string(receiver.port()) + "/hooks/medic\n"
      "      ca_file: " + other_ca_->caFile().string() + "\n"
      "      retries: 3\n");
  const auto started = steady_clock::now();
  const auto c = deliverOnce(cfg);
  EXPECT_EQ(c.failed, 1u);
  EXPECT_NE(c.last_error.find("certificate verify failed"), std::string::npos) << c.last_error;
  EXPECT_NE(c.last_error.find("set ca_file to the CA that did"), std::string::npos) << c.last_error;
  EXPECT_NE(c.last_error.find("not retried"), std::string::npos) << c.last_error;
  EXPECT_TRUE(receiver.requests().empty()) << "nothing is sent to an unverified peer";
  EXPECT_EQ(receiver.failedHandshakes(), 1) << "one attempt: a refused certificate is not retried";
  EXPECT_LT(steady_clock::now() - started, std::chrono::seconds(2)) << "no backoff was waited";
}

TEST_F(HttpsSinks, TheSystemStoreDoesNotTrustAPrivateCa) {
  test::HttpsReceiver receiver(ip_cert_.cert, ip_cert_.key);
  const auto cfg = configWith("    - {type: webhook, retries: 0, url: \"https://127.0.0.1:" +
                              std::to_string(receiver.port()) + "/x\"}\n");
  const auto c = deliverOnce(cfg);
  EXPECT_EQ(c.failed, 1u);
  EXPECT_NE(c.last_error.find("certificate verify failed"), std::string::npos) << c.last_error;
  EXPECT_TRUE(receiver.requests().empty());
}

TEST_F(HttpsSinks, ACertificateForAnotherNameIsRefused) {
  test::HttpsReceiver receiver(wrong_name_cert_.cert, wrong_name_cert_.key);
  const auto cfg = configWith("    - type: webhook\n      retries: 0\n      url: https://127.0.0.1:" +
                              std::to_string(receiver.port()) + "/x\n      ca_file: " +
                              ca_->caFile().string() + "\n");
  const auto c = deliverOnce(cfg);
  EXPECT_EQ(c.failed, 1u);
  EXPECT_NE(c.last_error.find("IP address mismatch"), std::string::npos) << c.last_error;
  EXPECT_NE(c.last_error.find("the certificate is not for '127.0.0.1'"), std::string::npos)
      << c.last_error;
  EXPECT_TRUE(receiver.requests().empty());
}

TEST_F(HttpsSinks, ANameIsSentAsSniAndMustBeInTheCertificate) {
  // localhost resolves to loopback only (/etc/hosts); the receiver listens on 127.0.0.1.
  test::HttpsReceiver named(name_cert_.cert, name_cert_.key);
  const auto good = deliverOnce(configWith(
      "    - type: webhook\n      url: https://localhost:" + std::to_string(named.port()) +
      "/x\n      ca_file: " + ca_->caFile().string() + "\n"));
  EXPECT_EQ(good.sent, 1u) << good.last_error;
  ASSERT_EQ(named.requests().size(), 1u);
  EXPECT_EQ(named.requests()[0].sni, "localhost");
  EXPECT_EQ(named.requests()[0].headers.at("host"), "localhost:" + std::to_string(named.port()));

  test::HttpsReceiver elsewhere(wrong_name_cert_.cert, wrong_name_cert_.key);
  const auto bad = deliverOnce(configWith(
      "    - type: webhook\n      retries: 0\n      url: https://localhost:" +
      std::to_string(elsewhere.port()) + "/x\n      ca_file: " + ca_->caFile().string() + "\n"));
  EXPECT_EQ(bad.failed, 1u);
  EXPECT_NE(bad.last_error.find("hostname mismatch"), std::string::npos) << bad.last_error;
  EXPECT_TRUE(elsewhere.requests().empty());
}

TEST_F(HttpsSinks, A5xxIsRetriedUntilTheReceiverTakesIt) {
  test::HttpsReceiver receiver(ip_cert_.cert, ip_cert_.key, {503, 502});
  const auto cfg = configWith(
      "    - type: webhook\n      format: slack\n      retries: 3\n      url: https://127.0.0.1:" +
      std::to_string(receiver.port()) + "/x\n      ca_file: " + ca_->caFile().string() + "\n");
  const auto c = deliverOnce(cfg);
  EXPECT_EQ(c.sent, 1u) << c.last_error;
  EXPECT_EQ(c.failed, 0u);
  const auto got = receiver.requests();
  ASSERT_EQ(got.size(), 3u) << "503, 502, then 200";
  EXPECT_EQ(got[0].body, got[2].body);
  EXPECT_EQ(nlohmann::json::parse(got[2].body)["text"],
            ":red_circle: [CRITICAL] webui: webui failed — exited with code 137; medic restarts it");
}

// ---- medic alert test ----

test::ProcessResult medic(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {std::string(MEDIC_BINARY_DIR) + "/src/medic"};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::runProcess(argv, std::chrono::seconds(60));
}

TEST_F(HttpsSinks, AlertTestReportsEachSinksAnswer) {
  test::HttpsReceiver good(ip_cert_.cert, ip_cert_.key, {500});
  test::HttpsReceiver untrusted(ip_cert_.cert, ip_cert_.key);
  const std::string port = std::to_string(good.port());
  configWith("    - {type: log}\n"
             "    - type: webhook\n      name: teams\n      format: msteams\n"
             "      retries: 2\n      url: https://127.0.0.1:" + port + "/teams/secret-path\n"
             "      ca_file: " + ca_->caFile().string() + "\n"
             "    - type: webhook\n      name: wrong-ca\n      url: https://127.0.0.1:" +
             std::to_string(untrusted.port()) + "/x\n      ca_file: " +
             other_ca_->caFile().string() + "\n");
  const std::string config = (dir_.path() / "medic.yaml").string();
  const std::string state = (dir_.path() / "state").string();

  const auto all = medic({"--config", config, "--state-dir", state, "alert", "test"});
  std::printf("$ medic alert test\n%s", all.out.c_str());  // what an operator sees (docs/config.md)
  EXPECT_EQ(all.exit_code, 1) << "one sink failed: " << all.describe() << all.out;
  EXPECT_NE(all.out.find("teams"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("webhook/msteams OK     HTTP 200"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("2 attempts"), std::string::npos) << "the 500 was retried: " << all.out;
  EXPECT_NE(all.out.find("wrong-ca"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("FAILED"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("certificate verify failed"), std::string::npos) << all.out;
  EXPECT_EQ(all.out.find("secret-path"), std::string::npos) << "a webhook's path is not shown";
  ASSERT_EQ(good.requests().size(), 2u);
  const auto card = nlohmann::json::parse(good.requests()[1].body);
  EXPECT_EQ(card["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
  EXPECT_EQ(card["attachments"][0]["content"]["body"][0]["text"],
            "\u26A0\uFE0F [WARNING] medic test alert");
  EXPECT_TRUE(untrusted.requests().empty());

  const auto one = medic({"--config", config, "--state-dir", state, "--json", "alert", "test",
                          "--sink", "teams"});
  ASSERT_TRUE(one.ok()) << one.describe() << one.out;
  const auto j = nlohmann::json::parse(one.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["sink"], "teams");
  EXPECT_EQ(j[0]["ok"], true);
  EXPECT_EQ(j[0]["http_status"], 200);
  EXPECT_EQ(j[0]["attempts"], 1);
  EXPECT_TRUE(j[0]["ms"].is_number());
  EXPECT_TRUE(j[0]["error"].is_null());

  const auto unknown = medic({"--config", config, "--state-dir", state, "alert", "test", "--sink",
                              "pager"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no sink named 'pager'; the config has: teams, wrong-ca"),
            std::string::npos)
      << unknown.err;
}

}  // namespace
}  // namespace medic::alerts
