// `medic events --channel NAME [--since ID] [--json]`: follows a channel of the running daemon
// from the terminal over its server-sent-event stream, and resumes after a disconnect from the
// last id it printed (Last-Event-ID), so nothing is lost or shown twice.
#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "http/sse_parser.h"

namespace medic::cli {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

struct EventsOptions {
  std::string channel;
  int64_t since = -1;
  int count = 0;  ///< stop after this many messages (0: follow forever)
};

/// host and port of "http://host:port[/...]"; only plain http (the daemon's API is loopback).
Result<std::pair<std::string, std::string>> hostPort(const std::string& url) {
  const std::string prefix = "http://";
  if (url.rfind(prefix, 0) != 0) {
    return Error::make(ErrorKind::kBadRequest, "only http:// daemon URLs are supported: " + url);
  }
  std::string rest = url.substr(prefix.size());
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || (rest.front() == '[' && rest.back() == ']')) {
    return std::make_pair(rest, std::string("80"));
  }
  std::string host = rest.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return std::make_pair(host, rest.substr(colon + 1));
}

void printMessage(const nlohmann::json& m, bool json) {
  if (json) {
    std::cout << m.dump() << std::endl;
    return;
  }
  std::string text;
  if (m.contains("data") && m["data"].is_object()) text = m["data"].value("text", "");
  if (text.empty() && m.contains("data")) text = m["data"].dump();
  std::cout << fmt::format("{} #{} {:<8} {:<16} {:<12} {}", m.value("ts", ""),
                           m.value("id", int64_t{0}), m.value("severity", ""), m.value("type", ""),
                           m.value("service", "-"), text)
            << std::endl;
}

enum class StreamEnd { kDisconnected, kDone, kRefused };

/// One connection: prints messages until the server closes, `count` is reached or it refuses.
StreamEnd followOnce(const std::string& url, const std::string& token, const EventsOptions& opt,
                     int64_t& last_id, int& printed, bool json, std::string& error) {
  auto hp = hostPort(url);
  if (!hp) {
    error = hp.error().message;
    return StreamEnd::kRefused;
  }
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(hp->first, hp->second, ec);
  if (!ec) asio::connect(socket, endpoints, ec);
  if (ec) {
    error = "cannot reach the daemon at " + url + ": " + ec.message();
    return StreamEnd::kDisconnected;
  }
  std::string req = "GET /api/v1/channels/" + opt.channel +
                    "/events HTTP/1.1\r\nHost: " + hp->first + ":" + hp->second +
                    "\r\nAccept: text/event-stream\r\nConnection: close\r\n";
  if (last_id >= 0) req += "Last-Event-ID: " + std::to_string(last_id) + "\r\n";
  // On a non-loopback listen reads need the token too.
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  req += "\r\n";
  asio::write(socket, asio::buffer(req), ec);
  if (ec) {
    error = ec.message();
    return StreamEnd::kDisconnected;
  }
  asio::streambuf buf;
  asio::read_until(socket, buf, "\r\n\r\n", ec);
  if (ec) {
    error = "the daemon closed the connection: " + ec.message();
    return StreamEnd::kDisconnected;
  }
  std::istream in(&buf);
  std::string status_line;
  std::getline(in, status_line);
  std::string line;
  while (std::getline(in, line) && line != "\r") {
  }
  if (status_line.find(" 200 ") == std::string::npos) {
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    asio::read(socket, buf, ec);
    body += std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto j = nlohmann::json::parse(body, nullptr, false);
    error = "daemon answered " + status_line.substr(0, status_line.find('\r')) +
            (j.is_object() && j.contains("error") ? ": " + j["error"].value("message", "") : "");
    return StreamEnd::kRefused;
  }
  http::SseParser sse;
  for (;;) {
    asio::read_until(socket, buf, '\n', ec);
    if (ec) return StreamEnd::kDisconnected;
    std::getline(in, line);
    auto event = sse.feedLine(line);
    if (!event) continue;
    auto m = nlohmann::json::parse(event->data, nullptr, false);
    if (!m.is_discarded()) {
      printMessage(m, json);
      ++printed;
    }
    if (event->id) last_id = *event->id;
    if (opt.count > 0 && printed >= opt.count) return StreamEnd::kDone;
  }
}

}  // namespace

void registerEvents(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto opt = std::make_shared<EventsOptions>();
  auto* cmd = root.add_subcommand(
      "events",
      "Follow a channel of the running daemon (service_state, recovery_coordination,\n"
      "deployment_coordination, validation_results). Reconnects on its own and resumes from the\n"
      "last message shown, so none is lost or repeated.");
  cmd->footer(
      "Examples:\n  medic events --channel service_state\n"
      "  medic events --channel recovery_coordination --since 120 --json");
  cmd->add_option("--channel", opt->channel, "The channel to follow")->required();
  cmd->add_option("--since", opt->since,
                  "Start after this message id (replays what came after it); default: from now");
  cmd->add_option("--count", opt->count, "Exit after this many messages (default: follow)");
  cmd->callback([&global, &exit_status, opt] {
    auto d = connectDaemon(global);
    if (!d) {
      std::cerr << "medic events: " << d.error().message << "\n";
      exit_status = kExitError;
      return;
    }
    int64_t last_id = opt->since;
    int printed = 0;
    for (;;) {
      std::string error;
      auto end = followOnce(d->url, d->token, *opt, last_id, printed, global.json, error);
      if (end == StreamEnd::kDone) break;
      if (end == StreamEnd::kRefused) {
        std::cerr << "medic events: " << error << "\n";
        exit_status = kExitError;
        return;
      }
      std::cerr << "medic events: disconnected" << (error.empty() ? "" : " (" + error + ")")
                << "; reconnecting" << (last_id >= 0 ? " after #" + std::to_string(last_id) : "")
                << "\n";
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    exit_status = kExitOk;
  });
}

}  // namespace medic::cli
