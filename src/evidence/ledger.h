#pragma once
/// Which observations become stored evidence rows. A probe that reports what it reported before
/// changes nothing, so it is not a new row: the newest record of each source (one probe of one
/// service, or a service's Docker state) is held here, in memory, and handed out for writing only
///   - when its verdict differs from the source's previous record (the previous record is handed
///     out too when it was never written: the last time the old verdict held);
///   - when something cites it (a verdict the core acts on, a claim, a gate, a channel message,
///     a request for it by id);
///   - as a sample, when no record of the source was written for `sample_every`, so a steady
///     service still leaves a trace at most that often.
/// A claim cites the newest records of its service first, so it judges fresh evidence with its
/// measured age, not the last sample. A record superseded without being written is still held for
/// `hold_superseded` (counted from when it was superseded, on the clock of the records): an id the
/// status showed a moment ago can still be looked up, and is written when it is.
///
/// Pure: time comes with the records; the caller writes what it is handed. Not thread-safe.

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/duration.h"
#include "evidence/evidence.h"

namespace medic::evidence {

class EvidenceLedger {
 public:
  explicit EvidenceLedger(Millis sample_every = Millis(60'000),
                          Millis hold_superseded = Millis(15'000));

  /// The newest record of `source` (any key naming one probe of one service, or its Docker
  /// state) with its verdict ("pass", "fail", a container state...). Returns the records to write
  /// now, oldest first: none, this one, or the previous one and this one.
  std::vector<Evidence> offer(const std::string& source, const std::string& verdict,
                              Evidence record);
  /// The records among `ids` held here and not yet written, now counted as written: the caller
  /// writes them. Ids not held here (written already, superseded longer ago than
  /// hold_superseded, or never offered) are skipped.
  std::vector<Evidence> cite(const std::vector<std::string>& ids);
  /// Like cite() for the newest record of every source of `service`.
  std::vector<Evidence> citeService(const std::string& service);
  /// Drops every source of `service` (no longer protected).
  void forget(const std::string& service);
  /// How many sources are held (one newest record each).
  size_t size() const { return sources_.size(); }
  /// How many superseded records, never written, are held for a lookup.
  size_t supersededHeld() const { return superseded_.size(); }

 private:
  struct Source {
    Evidence latest;
    std::string verdict;
    bool written = false;
    std::optional<WallTime> last_written;  ///< of any record of this source
  };
  /// Marks the source's newest record written and returns it.
  Evidence write(Source& s);
  /// Drops superseded records held longer than hold_superseded at `now`.
  void expire(WallTime now);

  static constexpr size_t kMaxSuperseded = 8192;
  Millis sample_every_;
  Millis hold_superseded_;
  std::map<std::string, Source> sources_;
  std::unordered_map<std::string, std::string> source_of_id_;  ///< newest record id -> source
  std::unordered_map<std::string, Evidence> superseded_;       ///< by id, never written
  std::deque<std::pair<WallTime, std::string>> superseded_order_;  ///< (superseded at, id)
};

}  // namespace medic::evidence
