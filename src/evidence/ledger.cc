#include "evidence/ledger.h"

namespace medic::evidence {

EvidenceLedger::EvidenceLedger(Millis sample_every, Millis hold_superseded)
    : sample_every_(sample_every), hold_superseded_(hold_superseded) {}

void EvidenceLedger::expire(WallTime now) {
  // By age, and by count should the clock have gone back (an hour of records is not kept).
  while (!superseded_order_.empty() &&
         (now - superseded_order_.front().first >= hold_superseded_ ||
          superseded_order_.size() > kMaxSuperseded)) {
    superseded_.erase(superseded_order_.front().second);
    superseded_order_.pop_front();
  }
}

Evidence EvidenceLedger::write(Source& s) {
  s.written = true;
  s.last_written = s.latest.time;
  return s.latest;
}

std::vector<Evidence> EvidenceLedger::offer(const std::string& source, const std::string& verdict,
                                            Evidence record) {
  std::vector<Evidence> out;
  auto [it, first] = sources_.try_emplace(source);
  Source& s = it->second;
  const bool changed = first || s.verdict != verdict;
  expire(record.time);
  if (!first) {
    if (changed && !s.written) out.push_back(write(s));
    source_of_id_.erase(s.latest.id);
    if (!s.written) {
      superseded_order_.emplace_back(record.time, s.latest.id);
      superseded_.emplace(s.latest.id, std::move(s.latest));
    }
  }
  s.latest = std::move(record);
  s.verdict = verdict;
  s.written = false;
  source_of_id_[s.latest.id] = source;
  // A clock that went back counts as due: a sample late is better than a trace that stops.
  const bool due = !s.last_written || s.latest.time < *s.last_written ||
                   s.latest.time - *s.last_written >= sample_every_;
  if (changed || due) out.push_back(write(s));
  return out;
}

std::vector<Evidence> EvidenceLedger::cite(const std::vector<std::string>& ids) {
  std::vector<Evidence> out;
  for (const auto& id : ids) {
    if (auto found = source_of_id_.find(id); found != source_of_id_.end()) {
      Source& s = sources_.at(found->second);
      if (!s.written) out.push_back(write(s));
    } else if (auto old = superseded_.find(id); old != superseded_.end()) {
      out.push_back(std::move(old->second));  // its entry in superseded_order_ expires unused
      superseded_.erase(old);
    }
  }
  return out;
}

std::vector<Evidence> EvidenceLedger::citeService(const std::string& service) {
  std::vector<Evidence> out;
  for (auto& [key, s] : sources_) {
    if (s.latest.service == service && !s.written) out.push_back(write(s));
  }
  return out;
}

void EvidenceLedger::forget(const std::string& service) {
  for (auto it = sources_.begin(); it != sources_.end();) {
    if (it->second.latest.service == service) {
      source_of_id_.erase(it->second.latest.id);  // superseded ones expire with time
      it = sources_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace medic::evidence
