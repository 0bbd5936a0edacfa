#pragma once
/// `medic mcp`: MCP over stdio for an agent that starts medic as its tool server. Reads one
/// JSON-RPC message per line on `in`, writes one per line on `out` (nothing else ever goes to
/// `out`; logs go to stderr), and answers each from the running daemon's HTTP API. While the
/// session has subscriptions it follows the daemon's service_state channel and sends
/// notifications/resources/updated. Returns at the end of `in`.

#include <functional>
#include <iosfwd>
#include <string>

#include "core/result.h"
#include "http/client.h"

namespace medic::mcp {

struct StdioOptions {
  /// Where the daemon is and its token, looked up again for every call (a restarted daemon on
  /// another port is followed); an error says how to start it.
  std::function<Result<http::DaemonAddress>()> locate;
  bool read_only = false;  ///< never send the token: the tools that need it are refused
};

int runStdio(const StdioOptions& options, std::istream& in, std::ostream& out);

}  // namespace medic::mcp
