#include "bus/bus.h"

#include <limits.h>
#include <unistd.h>

#include <algorithm>

#include "core/log.h"
#include "evidence/redact.h"

namespace medic::bus {

std::string localHostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

namespace {

Message fromRecord(const store::MessageRecord& r) {
  const auto& j = r.data_json;
  Message m;
  m.id = r.id;
  m.channel = r.channel;
  m.type = j.value("type", "");
  m.service = j.value("service", "");
  m.host = j.value("host", "");
  m.ts = j.value("ts", "");
  m.severity = j.value("severity", "info");
  m.data = j.value("data", nlohmann::json::object());
  if (j.contains("evidence") && j["evidence"].is_array()) {
    for (const auto& e : j["evidence"]) {
      if (e.is_string()) m.evidence.push_back(e.get<std::string>());
    }
  }
  return m;
}

}  // namespace

Bus::Bus(store::Store* store, std::string host, size_t memory_history, const Clock* clock)
    : store_(store),
      host_(host.empty() ? localHostname() : std::move(host)),
      memory_history_(memory_history == 0 ? 1 : memory_history),
      clock_(clock) {
  if (store_) {
    if (auto last = store_->lastMessageId(); last) last_id_ = *last;
  }
}

Result<Message> Bus::publish(Message m) {
  if (!isChannel(m.channel)) {
    return Error::make(ErrorKind::kBadRequest, "no channel named '" + m.channel + "'");
  }
  if (m.host.empty()) m.host = host_;
  if (m.ts.empty()) {
    static const SystemClock kSystem;
    m.ts = formatWallTime((clock_ ? clock_ : &kSystem)->now().wall);
  }
  if (m.data.is_null()) m.data = nlohmann::json::object();
  // Secrets never leave medic (DESIGN §4): what medic or a client publishes is redacted once,
  // here, before it is stored, replayed or delivered.
  m.data = evidence::redactJson(m.data);
  if (store_) {
    auto body = toJson(m);
    body.erase("id");
    auto id = store_->appendMessage(m.channel, body);
    if (!id) {
      ++counters_.persist_failures;
      spdlog::error("bus: {} message '{}' not persisted: {}", m.channel, m.type,
                    id.error().message);
      return id.error();
    }
    m.id = *id;
  } else {
    m.id = last_id_ + 1;
    memory_.push_back(m);
    while (memory_.size() > memory_history_) memory_.pop_front();
  }
  last_id_ = std::max(last_id_, m.id);
  ++counters_.published;
  // Deliver to a copy of the ids: a subscriber may unsubscribe others (or itself) while we loop.
  std::vector<uint64_t> ids;
  for (const auto& [id, sub] : subs_) {
    if (sub.channel == m.channel) ids.push_back(id);
  }
  for (auto id : ids) {
    auto it = subs_.find(id);
    if (it == subs_.end()) continue;
    auto deliver = it->second.deliver;  // keep it alive through the call
    if (!deliver(m)) {
      // The subscriber may already have unsubscribed itself while refusing; it is dropped either
      // way.
      subs_.erase(id);
      ++counters_.dropped_subscribers;
      spdlog::warn("bus: dropped a {} subscriber that could not keep up", m.channel);
    }
  }
  return m;
}

Result<std::vector<Message>> Bus::since(std::string_view channel, int64_t after_id,
                                        int limit) const {
  std::vector<Message> out;
  if (limit <= 0) return out;
  if (!store_) {
    for (const auto& m : memory_) {
      if (m.channel == channel && m.id > after_id) {
        out.push_back(m);
        if (static_cast<int>(out.size()) >= limit) break;
      }
    }
    return out;
  }
  auto rows = store_->messagesSince(channel, after_id, limit);
  if (!rows) return rows.error();
  for (const auto& r : *rows) out.push_back(fromRecord(r));
  return out;
}

Result<std::vector<Message>> Bus::latest(std::string_view channel, int limit) const {
  std::vector<Message> out;
  if (limit <= 0) return out;
  if (!store_) {
    for (auto it = memory_.rbegin(); it != memory_.rend(); ++it) {
      if (it->channel != channel) continue;
      out.push_back(*it);
      if (static_cast<int>(out.size()) >= limit) break;
    }
    std::reverse(out.begin(), out.end());
    return out;
  }
  auto rows = store_->latestMessages(channel, limit);
  if (!rows) return rows.error();
  for (const auto& r : *rows) out.push_back(fromRecord(r));
  return out;
}

int64_t Bus::lastId() const {
  return last_id_;
}

uint64_t Bus::subscribe(std::string channel, Deliver deliver) {
  const uint64_t id = next_sub_++;
  subs_[id] = Sub{std::move(channel), std::move(deliver)};
  return id;
}

void Bus::unsubscribe(uint64_t id) {
  subs_.erase(id);
}

size_t Bus::subscriberCount(std::string_view channel) const {
  if (channel.empty()) return subs_.size();
  size_t n = 0;
  for (const auto& [id, sub] : subs_) n += sub.channel == channel ? 1 : 0;
  return n;
}

}  // namespace medic::bus
