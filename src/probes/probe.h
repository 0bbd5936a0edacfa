#pragma once
/// One probe run: the outcome and the raw data for its evidence record. Probes never throw and never
/// take longer than their timeout (plus scheduling slack).

#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "core/time.h"

namespace medic::probes {

struct ProbeOutcome {
  bool ok = false;
  bool timed_out = false;
  std::string summary;  ///< one line for people: "HTTP 200 in 3 ms", "timed out after 2s"
  Millis latency{0};
  nlohmann::json data;  ///< evidence data (unredacted: evidence::makeEvidence redacts)
};

/// HTTP(S) GET of probe.url: ok when the status is in [expect_status_min, expect_status_max] and the
/// body contains body_contains (when set). Redirects are not followed. Link-local and cloud metadata
/// addresses are refused after name resolution.
boost::asio::awaitable<ProbeOutcome> runHttpProbe(const config::ProbeConfig& probe);

/// TCP connect to probe.address ("host:port"), then close.
boost::asio::awaitable<ProbeOutcome> runTcpProbe(const config::ProbeConfig& probe);

/// Short name for display: "http http://127.0.0.1:8080/health".
std::string describeProbe(const config::ProbeConfig& probe);

}  // namespace medic::probes
