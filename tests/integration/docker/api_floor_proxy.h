#pragma once
/// ApiFloorProxy: a stand-in for Docker 29 (API 1.52, minimum 1.44) in front of the real engine,
/// so medic's negotiation is tested against the answers a new engine gives while every request
/// still reaches a real dockerd (20.10 here).
///
/// It listens on a unix socket of its own and, per connection (one request each, as medic
/// sends them):
/// - `/_ping` and `/version` (versioned or not) are forwarded and their answers rewritten to
///   advertise the configured range: header API-Version = max, /version's ApiVersion = max and
///   MinAPIVersion = min (the ping header can be left out or lie, to test the fallbacks);
/// - `/vX.Y/...` below min or above max is answered as Docker does: HTTP 400
///   {"message":"client version X.Y is too old. Minimum supported API version is ..."};
/// - any other `/vX.Y/...` is forwarded with the version rewritten to the real engine's, so the
///   request really runs; answers are relayed as they arrive (GET /events streams), shaped like
///   Docker 29's at API 1.52: events without the legacy status/id/from fields, container
///   inspects without the top-level NetworkSettings addresses and Config.MacAddress.
/// Every request target is recorded as the client sent it. Test-only; nothing here is product
/// code.

#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace medic::test {

class ApiFloorProxy {
 public:
  struct Options {
    std::string upstream = "/var/run/docker.sock";  ///< the real engine
    std::string max = "1.52";                       ///< advertised maximum (Docker 29)
    std::string min = "1.44";                       ///< advertised minimum (Docker 29)
    /// The API-Version header on /_ping: "" = same as max; "-" = left out (old proxies).
    std::string ping_header;
  };

  explicit ApiFloorProxy(Options options);
  ApiFloorProxy() : ApiFloorProxy(Options{}) {}
  ~ApiFloorProxy();
  ApiFloorProxy(const ApiFloorProxy&) = delete;
  ApiFloorProxy& operator=(const ApiFloorProxy&) = delete;

  /// Empty when listening and the real engine's version was read; otherwise what failed.
  const std::string& error() const { return error_; }
  /// "unix:///tmp/medic-apifloor-XXXXXX/docker.sock"
  std::string address() const { return "unix://" + socket_path_; }
  /// The real engine's API version that forwarded requests use ("1.41").
  const std::string& upstreamVersion() const { return upstream_version_; }
  /// Every request target received so far, in arrival order ("/v1.52/containers/json?all=1").
  std::vector<std::string> requests() const;
  /// How many requests were refused for their version.
  std::size_t refusedCount() const;
  /// Connections open right now (an event stream the client closed must end here too).
  std::size_t openConnections() const;

  struct State;  ///< shared with the sessions on the proxy's own thread

 private:
  std::string dir_;
  std::string socket_path_;
  std::string upstream_version_;
  std::string error_;
  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace medic::test
