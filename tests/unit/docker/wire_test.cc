#include "docker/wire.h"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "docker/engine_client.h"

namespace medic::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseEngineAddress, UnixSocket) {
  auto a = parseEngineAddress("unix:///var/run/docker.sock");
  ASSERT_TRUE(a.ok()) << a.error().describe();
  EXPECT_EQ(a->kind, EngineAddress::Kind::kUnix);
  EXPECT_EQ(a->path, "/var/run/docker.sock");
  EXPECT_EQ(a->display(), "/var/run/docker.sock");
}

TEST(ParseEngineAddress, TcpHostPortAndIpv6) {
  auto a = parseEngineAddress("tcp://127.0.0.1:2375");
  ASSERT_TRUE(a.ok()) << a.error().describe();
  EXPECT_EQ(a->kind, EngineAddress::Kind::kTcp);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 2375);
  EXPECT_EQ(a->display(), "127.0.0.1:2375");

  auto v6 = parseEngineAddress("tcp://[::1]:2376/");
  ASSERT_TRUE(v6.ok()) << v6.error().describe();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 2376);
  EXPECT_EQ(v6->display(), "[::1]:2376");
}

TEST(ParseEngineAddress, RejectsBadAddressesNamingThem) {
  for (const char* bad :
       {"", "/var/run/docker.sock", "unix://", "unix://relative.sock", "tcp://127.0.0.1",
        "tcp://:2375", "tcp://host:0", "tcp://host:65536", "tcp://host:12ab",
        "http://127.0.0.1:2375", "tcp+tls://h:2376", "tcp://[::1:2375"}) {
    auto a = parseEngineAddress(bad);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.error().kind, ErrorKind::kConfig) << bad;
    EXPECT_THAT(a.error().message, HasSubstr("'" + std::string(bad) + "'"));
  }
}

TEST(UrlEncode, EncodesAllButUnreserved) {
  EXPECT_EQ(urlEncode("abc-_.~XYZ09"), "abc-_.~XYZ09");
  EXPECT_EQ(urlEncode(R"({"label":{"a=b":true}})"), "%7B%22label%22%3A%7B%22a%3Db%22%3Atrue%7D%7D");
  EXPECT_EQ(urlEncode("a b/c?d&e"), "a%20b%2Fc%3Fd%26e");
  EXPECT_EQ(urlEncode("\xff"), "%FF");
}

TEST(EncodeFilters, MapsEachValueToTrueAndDropsEmptyLists) {
  std::string text = encodeFilters(
      {{"label", {"medic.enable=true", "tier"}}, {"name", {}}, {"type", {"container"}}});
  auto doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc,
            nlohmann::json::parse(
                R"({"label":{"medic.enable=true":true,"tier":true},"type":{"container":true}})"));
  EXPECT_EQ(encodeFilters({}), "{}");
}

TEST(ApiVersions, CompareNumerically) {
  EXPECT_LT(compareApiVersions("1.9", "1.41"), 0);
  EXPECT_GT(compareApiVersions("1.43", "1.41"), 0);
  EXPECT_EQ(compareApiVersions("1.41", "1.41"), 0);
  EXPECT_GT(compareApiVersions("2.0", "1.99"), 0);
  EXPECT_LT(compareApiVersions("garbage", "1.0"), 0);
  EXPECT_LT(compareApiVersions("1.", "1.0"), 0);
}

TEST(ApiVersions, NegotiateSpeaksTheLowerMaximumUpToDocker29) {
  EXPECT_EQ(kMinApiVersion, "1.41");
  EXPECT_EQ(kMaxApiVersion, "1.52");
  EXPECT_EQ(negotiateApiVersion("1.41").value(), "1.41");  // Debian 12's dockerd 20.10
  EXPECT_EQ(negotiateApiVersion("1.45", "1.24").value(), "1.45");  // Docker 26
  EXPECT_EQ(negotiateApiVersion("1.52", "1.44").value(), "1.52");  // Docker 29
  EXPECT_EQ(negotiateApiVersion("1.53").value(), "1.52");
  EXPECT_EQ(negotiateApiVersion("1.60", "1.44").value(), "1.52");
  // An unreadable minimum is unknown, not fatal.
  EXPECT_EQ(negotiateApiVersion("1.52", "junk").value(), "1.52");
}

TEST(ApiVersions, NegotiateRefusesAnEngineBelowOursNamingBothRanges) {
  auto old = negotiateApiVersion("1.40", "1.12");
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().kind, ErrorKind::kEngine);
  EXPECT_THAT(old.error().message, HasSubstr("the engine speaks 1.12 to 1.40"));
  EXPECT_THAT(old.error().message, HasSubstr("medic speaks 1.41 to 1.52"));
  EXPECT_THAT(old.error().message, HasSubstr("upgrade the Docker engine"));
  // From /_ping alone the minimum is unknown.
  auto from_ping = negotiateApiVersion("1.40");
  ASSERT_FALSE(from_ping.ok());
  EXPECT_THAT(from_ping.error().message, HasSubstr("the engine speaks up to 1.40"));
}

TEST(ApiVersions, NegotiateRefusesAnEngineAboveOursNamingBothRanges) {
  auto future = negotiateApiVersion("1.60", "1.53");
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.error().kind, ErrorKind::kEngine);
  EXPECT_THAT(future.error().message, HasSubstr("the engine speaks 1.53 to 1.60"));
  EXPECT_THAT(future.error().message, HasSubstr("medic speaks 1.41 to 1.52"));
  EXPECT_THAT(future.error().message, HasSubstr("upgrade medic"));
  // The edges overlap by one version: still fine.
  EXPECT_EQ(negotiateApiVersion("1.60", "1.52").value(), "1.52");
  EXPECT_EQ(negotiateApiVersion("1.41", "1.41").value(), "1.41");
}

TEST(ApiVersions, NegotiateRefusesUnreadableVersions) {
  EXPECT_FALSE(negotiateApiVersion("").ok());
  auto bad = negotiateApiVersion("one.two");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("'one.two'"));
}

TEST(ApiVersions, FixedVersionIsTakenAsTheDockerCliDoes) {
  EXPECT_EQ(parseFixedApiVersion("1.41").value(), "1.41");
  EXPECT_EQ(parseFixedApiVersion(" v1.44\n").value(), "1.44");
  EXPECT_EQ(parseFixedApiVersion("1.52").value(), "1.52");
  EXPECT_EQ(parseFixedApiVersion("").value(), "");   // blank: negotiate
  EXPECT_EQ(parseFixedApiVersion("  ").value(), "");
}

TEST(ApiVersions, FixedVersionOutsideOursIsAConfigErrorNamingTheVariable) {
  auto junk = parseFixedApiVersion("latest");
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().kind, ErrorKind::kConfig);
  EXPECT_THAT(junk.error().message, HasSubstr("DOCKER_API_VERSION='latest'"));
  EXPECT_THAT(junk.error().message, HasSubstr("1.41 to 1.52"));
  auto old = parseFixedApiVersion("1.40");
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().kind, ErrorKind::kConfig);
  EXPECT_THAT(old.error().message, HasSubstr("DOCKER_API_VERSION=1.40 is outside"));
  EXPECT_FALSE(parseFixedApiVersion("1.53").ok());
  EXPECT_THAT(parseFixedApiVersion("1.9", "docker_api_version").error().message,
              HasSubstr("docker_api_version=1.9"));
}

TEST(ApiVersions, RecognisesTheEnginesVersionRefusals) {
  // Docker 29's answer to a 1.43 request, word for word.
  auto old = parseVersionRefusal(
      "client version 1.43 is too old. Minimum supported API version is 1.44, please upgrade "
      "your client to a newer version");
  ASSERT_TRUE(old.has_value());
  EXPECT_TRUE(old->too_old);
  EXPECT_EQ(old->requested, "1.43");
  EXPECT_EQ(old->supported, "1.44");
  auto fresh = parseVersionRefusal(
      "client version 1.52 is too new. Maximum supported API version is 1.41");
  ASSERT_TRUE(fresh.has_value());
  EXPECT_FALSE(fresh->too_old);
  EXPECT_EQ(fresh->requested, "1.52");
  EXPECT_EQ(fresh->supported, "1.41");
  // Through the proxy's wording of the error, as engineMessage() returns it.
  EXPECT_TRUE(parseVersionRefusal("Error response from daemon: client version 1.40 is too old. "
                                  "Minimum supported API version is 1.41")
                  .has_value());
  EXPECT_FALSE(parseVersionRefusal("No such container: web").has_value());
  EXPECT_FALSE(parseVersionRefusal("client version 1.43 is fine").has_value());
  EXPECT_FALSE(
      parseVersionRefusal("client version 1.43 is too old. Minimum supported API version is ")
          .has_value());
}

std::string frame(unsigned char stream, std::string_view payload) {
  std::string out{static_cast<char>(stream), 0, 0, 0};
  uint32_t n = static_cast<uint32_t>(payload.size());
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>((n >> 16) & 0xFF));
  out.push_back(static_cast<char>((n >> 8) & 0xFF));
  out.push_back(static_cast<char>(n & 0xFF));
  return out + std::string(payload);
}

TEST(ExecStreamDemuxer, JoinsStdoutAndStderrAcrossArbitrarySplits) {
  std::string wire = frame(1, "hello ") + frame(2, "err ") + frame(1, "") + frame(1, "world\n");
  // Every split point, including inside headers, must give the same output.
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    ExecStreamDemuxer d(1024);
    d.feed(std::string_view(wire).substr(0, cut));
    d.feed(std::string_view(wire).substr(cut));
    EXPECT_EQ(d.output(), "hello err world\n") << "cut at " << cut;
    EXPECT_FALSE(d.midFrame());
  }
  ExecStreamDemuxer bytewise(1024);
  for (char c : wire) bytewise.feed(std::string_view(&c, 1));
  EXPECT_EQ(bytewise.output(), "hello err world\n");
}

TEST(ExecStreamDemuxer, BoundsOutputAndCountsTheRest) {
  std::string big(300, 'x');
  ExecStreamDemuxer d(100);
  d.feed(frame(1, big) + frame(2, "tail"));
  EXPECT_EQ(d.output(), std::string(100, 'x'));
  EXPECT_EQ(d.droppedBytes(), 204u);
  ExecStreamDemuxer partial(100);
  partial.feed(frame(1, "abc").substr(0, 9));
  EXPECT_TRUE(partial.midFrame());
  EXPECT_EQ(partial.output(), "a");
}

TEST(LineSplitter, DeliversCompleteLinesOnly) {
  LineSplitter s(64);
  std::vector<std::string> lines;
  EXPECT_TRUE(s.feed("{\"a\":1}\n{\"b\"", lines));
  EXPECT_THAT(lines, ElementsAre("{\"a\":1}"));
  lines.clear();
  EXPECT_TRUE(s.feed(":2}\r\n\n", lines));
  EXPECT_THAT(lines, ElementsAre("{\"b\":2}"));
  EXPECT_EQ(s.pending(), "");
}

TEST(LineSplitter, RefusesAnOverlongLine) {
  LineSplitter s(8);
  std::vector<std::string> lines;
  EXPECT_TRUE(s.feed("12345678", lines));
  EXPECT_FALSE(s.feed("9", lines));
  EXPECT_TRUE(lines.empty());
}

}  // namespace
}  // namespace medic::docker

// ---- a timed-out exec is killed only when its PID is that exec here --------------------------

namespace medic::docker {
namespace {

TEST(ExecKill, OnlyAProcessWhoseCgroupNamesTheContainerIsKilled) {
  const std::string id(64, 'a');
  const std::string other = std::string(63, 'a') + "b";
  // cgroup v2 with the systemd driver, v2 with cgroupfs, v1 with cgroupfs.
  EXPECT_TRUE(cgroupNamesContainer("0::/system.slice/docker-" + id + ".scope\n", id));
  EXPECT_TRUE(cgroupNamesContainer("0::/docker/" + id + "\n", id));
  EXPECT_TRUE(cgroupNamesContainer("12:pids:/docker/" + id + "\n11:memory:/docker/" + id + "\n",
                                   id));
  // Another container, a host process, and the engine's view from another PID namespace.
  EXPECT_FALSE(cgroupNamesContainer("0::/docker/" + other + "\n", id));
  EXPECT_FALSE(cgroupNamesContainer("0::/user.slice/user-0.slice/session-3.scope\n", id));
  EXPECT_FALSE(cgroupNamesContainer("0::/\n", id));
  // Only a full id is trusted: a prefix could name another container.
  EXPECT_FALSE(cgroupNamesContainer("0::/docker/" + id + "\n", id.substr(0, 12)));
  EXPECT_FALSE(cgroupNamesContainer("0::/docker/" + id + "\n", ""));
  // This test's own process is in no container of that id.
  EXPECT_FALSE(processInContainer(static_cast<int>(::getpid()), id));
  EXPECT_FALSE(processInContainer(999999999, id));
}

}  // namespace
}  // namespace medic::docker
