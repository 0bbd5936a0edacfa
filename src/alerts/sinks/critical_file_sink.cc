#include "alerts/sinks/critical_file_sink.h"

#include <algorithm>

#include "core/atomic_file.h"

namespace medic::alerts {

std::string renderCriticalFile(const std::vector<Alert>& alerts) {
  std::vector<const Alert*> order;
  order.reserve(alerts.size());
  for (const Alert& a : alerts) order.push_back(&a);
  std::stable_sort(order.begin(), order.end(), [](const Alert* a, const Alert* b) {
    if (a->firing() != b->firing()) return a->firing();
    return a->updated > b->updated;
  });
  nlohmann::json doc = nlohmann::json::array();
  for (const Alert* a : order) doc.push_back(toJson(*a));
  return doc.dump(2) + "\n";
}

void CriticalFileSink::remember(const Alert& alert) {
  if (alert.severity != Severity::kCritical) {
    // Not (or no longer) critical: not this file's business.
    alerts_.erase(alert.id);
    return;
  }
  alerts_[alert.id] = alert;
}

void CriticalFileSink::prune(WallTime newest) {
  std::vector<std::pair<WallTime, int64_t>> resolved;
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    const Alert& a = it->second;
    if (!a.firing() && newest - a.updated > options_.keep_resolved) {
      it = alerts_.erase(it);
      continue;
    }
    if (!a.firing()) resolved.emplace_back(a.updated, a.id);
    ++it;
  }
  if (resolved.size() <= options_.max_resolved) return;
  std::sort(resolved.begin(), resolved.end());  // oldest first
  const size_t excess = resolved.size() - options_.max_resolved;
  for (size_t i = 0; i < excess; ++i) alerts_.erase(resolved[i].second);
}

void CriticalFileSink::seed(const std::vector<Alert>& alerts) {
  WallTime newest{};
  for (const Alert& a : alerts) {
    if (a.severity != Severity::kCritical) continue;
    alerts_[a.id] = a;
    newest = std::max(newest, a.updated);
  }
  prune(newest);
}

boost::asio::awaitable<Status> CriticalFileSink::deliver(const Alert& alert,
                                                         const SinkContext& ctx) {
  remember(alert);
  prune(alert.updated);
  std::vector<Alert> all;
  all.reserve(alerts_.size());
  for (const auto& [id, a] : alerts_) all.push_back(a);
  auto write = [path = path_, content = renderCriticalFile(all)] {
    return writeFileAtomic(path, content, 0644);
  };
  Status st = co_await runBlocking(ctx, std::move(write));
  co_return st;
}

}  // namespace medic::alerts
