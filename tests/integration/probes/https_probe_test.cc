// The HTTP probe over https against a real TLS peer on 127.0.0.1 (a CA made here with openssl):
// it verifies the certificate (system store, which SSL_CERT_FILE points at the test's CA), checks
// the name, and judges the answer.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>

#include "probes/probe.h"
#include "support/require_tool.h"
#include "support/tls_peer.h"

namespace medic::probes {
namespace {

ProbeOutcome probe(const std::string& url) {
  config::ProbeConfig p;
  p.kind = config::ProbeKind::kHttp;
  p.url = url;
  p.timeout = Millis(5000);
  boost::asio::io_context io;
  ProbeOutcome out;
  boost::asio::co_spawn(io, runHttpProbe(p), [&out](std::exception_ptr, ProbeOutcome o) {
    out = std::move(o);
  });
  io.run();
  return out;
}

class HttpsProbe : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDIC_REQUIRE_TOOL_OR_SKIP("/usr/bin/openssl", "openssl");
    std::string tmpl = (std::filesystem::temp_directory_path() / "medic-probe-tls-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    ca_ = std::make_unique<test::TestCa>(dir_ / "ca", "medic probe test CA");
    cert_ = ca_->issue("receiver", "IP:127.0.0.1");
    ASSERT_EQ(ca_->error(), "");
  }
  void TearDown() override {
    ::unsetenv("SSL_CERT_FILE");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
  std::unique_ptr<test::TestCa> ca_;
  test::TestCa::Issued cert_;
};

TEST_F(HttpsProbe, ATrustedCertificatePasses) {
  test::HttpsReceiver receiver(cert_.cert, cert_.key);
  ::setenv("SSL_CERT_FILE", ca_->caFile().c_str(), 1);  // the "system" store: the test's CA
  const auto out = probe("https://127.0.0.1:" + std::to_string(receiver.port()) + "/health");
  EXPECT_TRUE(out.ok) << out.summary;
  EXPECT_EQ(out.summary.rfind("HTTP 200 in ", 0), 0u) << out.summary;
  EXPECT_EQ(out.data["status"], 200);
  ASSERT_EQ(receiver.requests().size(), 1u);
  EXPECT_EQ(receiver.requests()[0].method, "GET");
  EXPECT_EQ(receiver.requests()[0].target, "/health");
}

TEST_F(HttpsProbe, AnUntrustedCertificateFailsTheProbeAndSendsNothing) {
  test::HttpsReceiver receiver(cert_.cert, cert_.key);
  const auto out = probe("https://127.0.0.1:" + std::to_string(receiver.port()) + "/health");
  EXPECT_FALSE(out.ok);
  EXPECT_NE(out.summary.find("certificate verify failed"), std::string::npos) << out.summary;
  EXPECT_EQ(out.data["error"], out.summary);
  EXPECT_TRUE(receiver.requests().empty());
  EXPECT_EQ(receiver.failedHandshakes(), 1);
}

}  // namespace
}  // namespace medic::probes
