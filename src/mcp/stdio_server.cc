#include "mcp/stdio_server.h"

#include <istream>
#include <memory>
#include <mutex>
#include <ostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "core/log.h"
#include "mcp/jsonrpc.h"
#include "mcp/server.h"
#include "tui/sse_follower.h"

namespace medic::mcp {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

/// A gate probes every service now; give it time.
constexpr Millis kCallTimeout{60'000};

/// The daemon over HTTP, as the CLI reaches it. Blocking: a stdio session handles one message at
/// a time.
class DaemonApi : public Api {
 public:
  DaemonApi(const StdioOptions& options) : options_(options) {}

  asio::awaitable<ApiReply> call(ApiCall c) override {
    auto where = options_.locate();
    if (!where) co_return ApiReply{0, nullptr, where.error().message};
    const std::string token = options_.read_only ? "" : where->token;
    auto res = http::request(where->url, c.method, c.path, c.body.is_null() ? "" : c.body.dump(),
                             token, kCallTimeout);
    if (!res) {
      co_return ApiReply{0, nullptr,
                         res.error().message + " (is `medic watch` running? it answers at " +
                             where->url + ")"};
    }
    auto body = json::parse(res->body, nullptr, false);
    co_return ApiReply{res->status, body.is_discarded() ? json() : body, ""};
  }

 private:
  const StdioOptions& options_;
};

}  // namespace

int runStdio(const StdioOptions& options, std::istream& in, std::ostream& out) {
  std::mutex out_mu;
  auto send = [&](const json& m) {
    std::lock_guard lock(out_mu);
    out << m.dump(-1, ' ', false, json::error_handler_t::replace) << "\n" << std::flush;
  };
  Session session;
  DaemonApi api(options);
  auto where = options.locate();
  const bool has_token = where && !where->token.empty();
  const CallerContext caller{
      !options.read_only && has_token,
      options.read_only
          ? "`medic mcp` was started with --read-only: start it without that flag to allow them."
          : "`medic mcp` found no token in medic's state dir: run it as a user who can read "
            "<state-dir>/token, with the daemon's --state-dir."};
  std::unique_ptr<tui::SseFollower> follower;

  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line == "\r") continue;
    json message;
    if (auto bad = jsonrpc::parse(line, message)) {
      send(*bad);
      continue;
    }
    asio::io_context io;
    std::optional<json> answer;
    asio::co_spawn(io, handleMessage(message, session, api, caller),
                   [&](std::exception_ptr e, std::optional<json> r) {
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         spdlog::error("mcp: {}", ex.what());
                       }
                       answer = jsonrpc::error(message.value("id", json()), jsonrpc::kInternalError,
                                               "internal error");
                       return;
                     }
                     answer = std::move(r);
                   });
    io.run();
    if (answer) send(*answer);
    if (!follower && !session.subscriptions.empty()) {
      // Subscriptions are fed by the daemon's service_state channel, followed from now on.
      auto now_at = options.locate();
      if (now_at) {
        follower = std::make_unique<tui::SseFollower>(
            now_at->url, "service_state",
            [&](const json& m) {
              const auto service = m.contains("service") && m["service"].is_string()
                                       ? m["service"].get<std::string>()
                                       : std::string();
              for (const auto& uri : session.subscriptions.matching(urisChangedBy(service))) {
                send(jsonrpc::notification("notifications/resources/updated", {{"uri", uri}}));
              }
            },
            [](bool connected, const std::string& error) {
              if (!connected) spdlog::warn("mcp: following service_state: {}", error);
            });
        follower->start();
      }
    }
  }
  if (follower) follower->stop();
  return 0;
}

}  // namespace medic::mcp
