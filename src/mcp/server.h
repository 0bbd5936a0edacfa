#pragma once
/// The MCP core: JSON-RPC dispatch for one session (initialize and version negotiation, ping,
/// tools, resources and subscriptions). No I/O of its own: every answer comes from the Api it is
/// handed, and the transports (stdio_server.h, http_endpoint.h) carry the messages. A notification
/// or a response from the client yields no message.

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "mcp/api.h"

namespace medic::mcp {

/// The protocol versions medic speaks, newest first: the current stable spec and the one before.
inline const std::vector<std::string> kProtocolVersions = {"2025-11-25", "2025-06-18"};
bool supportedVersion(const std::string& version);

/// The resources a session subscribed to. Thread-safe: `medic mcp` reads it from the thread that
/// follows the daemon's channel while the session's requests change it.
class Subscriptions {
 public:
  void add(const std::string& uri);
  void remove(const std::string& uri);
  /// Which of `uris` are subscribed.
  std::vector<std::string> matching(const std::vector<std::string>& uris) const;
  bool empty() const;

 private:
  mutable std::mutex mu_;
  std::set<std::string> uris_;
};

struct Session {
  bool initialized = false;      ///< initialize answered
  std::string protocol_version;  ///< negotiated at initialize
  nlohmann::json client_info;
  Subscriptions subscriptions;
};

/// Who sends this request: with the token (or `medic mcp` holding it) the mutations are allowed.
struct CallerContext {
  bool authorized = false;
  /// How to get the token, said in every refusal (differs between stdio and HTTP).
  std::string token_hint;
};

/// Handles one message. Returns the response to send, or nullopt for a notification/response.
boost::asio::awaitable<std::optional<nlohmann::json>> handleMessage(const nlohmann::json& message,
                                                                    Session& session, Api& api,
                                                                    const CallerContext& caller);

/// The URIs a service_state message about `service` changes: medic://services/{service} and
/// medic://status.
std::vector<std::string> urisChangedBy(const std::string& service);

}  // namespace medic::mcp
