// Channel routes (DESIGN §5): follow a channel as server-sent events, resumable with
// Last-Event-ID, and publish on one (token required).
//
// Gap-free resume: the replay of stored messages and the subscription happen in one turn of the
// loop, and every publish runs on the loop too, so a message is either in the replay or delivered
// to the subscription, never both and never neither.
#include <algorithm>
#include <limits>
#include <sstream>

#include "bus/bus.h"
#include "core/log.h"
#include "daemon/daemon.h"

namespace medic::daemon {

using http::Request;
using http::Response;

namespace {

constexpr int kReplayPage = 1000;
constexpr size_t kReplayMaxBytes = size_t{64} * 1024 * 1024;
/// Open event streams across all channels; one more gets 429 (each holds a socket and a queue).
constexpr size_t kMaxStreamClients = 64;
/// GET .../messages: how many of the newest messages by default, and at most.
constexpr int kDefaultRecent = 50;
constexpr int kMaxRecent = 1000;

/// The id to resume after: Last-Event-ID (what EventSource sends on reconnect), else ?since=ID,
/// else -1 for "from now on".
std::optional<int64_t> resumeAfter(const Request& req, std::string& error) {
  std::string text = req.header("last-event-id");
  if (text.empty()) {
    auto it = req.query.find("since");
    if (it != req.query.end()) text = it->second;
  }
  if (text.empty()) return -1;
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used != text.size() || v < 0) throw std::invalid_argument("bad");
    return static_cast<int64_t>(v);
  } catch (...) {
    error =
        "Last-Event-ID / since must be a message id (a non-negative integer), got '" + text + "'";
    return std::nullopt;
  }
}

}  // namespace

http::Response Daemon::streamChannels(const Request& req,
                                      const std::shared_ptr<http::EventStream>& stream,
                                      const std::vector<std::string>& names) {
  if (names.empty()) return Response::error(400, "name at least one channel");
  for (const auto& name : names) {
    if (!bus::isChannel(name)) return Response::error(404, "no channel named '" + name + "'");
  }
  if (bus_->subscriberCount() + names.size() > kMaxStreamClients) {
    auto busy =
        Response::error(429, "too many event streams open (" + std::to_string(kMaxStreamClients) +
                                 " channel subscriptions): close one and retry");
    busy.headers["Retry-After"] = "5";
    return busy;
  }
  std::string error;
  auto after = resumeAfter(req, error);
  if (!after) return Response::error(400, error);
  const int64_t start = *after < 0 ? bus_->lastId() : *after;
  // Ids are global across channels: the replay of several channels is merged in id order.
  std::vector<std::pair<int64_t, std::string>> replay;  // (id, the message as an SSE event)
  size_t bytes = 0;
  for (const auto& name : names) {
    int64_t cursor = start;
    for (;;) {
      auto page = bus_->since(name, cursor, kReplayPage);
      if (!page) return Response::error(500, "cannot replay: " + page.error().message);
      for (const auto& m : *page) {
        cursor = m.id;
        replay.emplace_back(m.id, bus::toSse(m));
        bytes += replay.back().second.size();
      }
      if (bytes > kReplayMaxBytes) {
        return Response::error(413, "too much to replay at once: resume from a later id");
      }
      if (static_cast<int>(page->size()) < kReplayPage) break;
    }
  }
  std::sort(replay.begin(), replay.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string body = "retry: 1000\n\n";
  body.reserve(body.size() + bytes);
  for (const auto& [id, event] : replay) body += event;
  std::weak_ptr<http::EventStream> weak = stream;
  std::vector<uint64_t> subs;
  subs.reserve(names.size());
  for (const auto& name : names) {
    subs.push_back(bus_->subscribe(name, [weak](const bus::Message& m) {
      auto s = weak.lock();
      return s && s->send(bus::toSse(m));
    }));
  }
  stream->onClose([this, subs] {
    if (!bus_) return;
    for (auto sub : subs) bus_->unsubscribe(sub);
  });
  auto r = Response::text(200, std::move(body), "text/event-stream");
  r.headers["X-Accel-Buffering"] = "no";
  return r;
}

void Daemon::registerChannelRoutes() {
  router_.add("GET", "/api/v1/channels", [this](const Request&) {
    nlohmann::json channels = nlohmann::json::array();
    for (auto name : bus::kChannels) {
      channels.push_back(
          {{"name", std::string(name)}, {"subscribers", bus_->subscriberCount(name)}});
    }
    const auto& c = bus_->counters();
    return Response::json(200, {{"channels", channels},
                                {"last_id", bus_->lastId()},
                                {"published", c.published},
                                {"dropped_subscribers", c.dropped_subscribers},
                                {"persist_failures", c.persist_failures},
                                {"persisted", store_ != nullptr}});
  });

  // The newest messages of a channel as one JSON document (recent recovery and deploy actions for
  // the dashboards); following live is the event stream's job.
  router_.add("GET", "/api/v1/channels/{name}/messages", [this](const Request& req) {
    const auto& name = req.params.at("name");
    if (!bus::isChannel(name)) return Response::error(404, "no channel named '" + name + "'");
    int limit = kDefaultRecent;
    if (auto it = req.query.find("limit"); it != req.query.end()) {
      try {
        size_t used = 0;
        limit = std::stoi(it->second, &used);
        if (used != it->second.size()) throw std::invalid_argument("bad");
      } catch (...) {
        limit = -1;
      }
      if (limit < 1 || limit > kMaxRecent) {
        return Response::error(400, "limit must be a number from 1 to " +
                                        std::to_string(kMaxRecent) + ", got '" + it->second + "'");
      }
    }
    auto recent = bus_->latest(name, limit);
    if (!recent) return Response::error(500, "cannot read messages: " + recent.error().message);
    nlohmann::json messages = nlohmann::json::array();
    for (const auto& m : *recent) messages.push_back(bus::toJson(m));
    return Response::json(200, {{"channel", name}, {"messages", messages}});
  });

  router_.addStream("GET", "/api/v1/channels/{name}/events",
                    [this](const Request& req, const std::shared_ptr<http::EventStream>& stream) {
                      return streamChannels(req, stream, {req.params.at("name")});
                    });
  // Several channels on one connection (a browser allows only six per host, across its tabs).
  router_.addStream("GET", "/api/v1/events",
                    [this](const Request& req, const std::shared_ptr<http::EventStream>& stream) {
                      std::vector<std::string> names;
                      auto it = req.query.find("channels");
                      if (it == req.query.end() || it->second.empty()) {
                        for (auto name : bus::kChannels) names.emplace_back(name);
                      } else {
                        std::stringstream in(it->second);
                        std::string name;
                        while (std::getline(in, name, ',')) {
                          if (!name.empty()) names.push_back(name);
                        }
                      }
                      return streamChannels(req, stream, names);
                    });

  router_.add(
      "POST", "/api/v1/channels/{name}",
      [this](const Request& req) {
        const auto& name = req.params.at("name");
        if (!bus::isChannel(name)) {
          return Response::error(404, "no channel named '" + name + "'");
        }
        if (req.body.empty()) {
          return Response::error(400, "send the message as a JSON object with at least \"type\"");
        }
        auto parsed = bus::messageFromJson(nlohmann::json::parse(req.body, nullptr, false));
        if (!parsed) return Response::error(400, parsed.error().message);
        parsed->channel = name;
        auto published = bus_->publish(std::move(*parsed));
        if (!published) return Response::error(500, published.error().message);
        return Response::json(201, bus::toJson(*published));
      },
      /*mutation=*/true);
}

}  // namespace medic::daemon
