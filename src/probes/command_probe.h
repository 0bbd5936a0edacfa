#pragma once
/// A `command` probe: its argv runs on the host (no shell), in its own process group, with stdin
/// from /dev/null and stdout+stderr captured. The service reaches it only as environment
/// variables (MEDIC_SERVICE, MEDIC_CONTAINER, MEDIC_CONTAINER_ID), never spliced into the argv.
/// On timeout the whole group is SIGKILLed and reaped. The wait never blocks the caller's loop.

#include <string>

#include <boost/asio/awaitable.hpp>

#include "config/config.h"
#include "probes/probe.h"

namespace medic::probes {

struct CommandTarget {
  std::string service;
  std::string container_name;  ///< empty when the service has no container
  std::string container_id;
};

/// The verdict follows execOutcome: ok on exit 0 within probe.timeout.
boost::asio::awaitable<ProbeOutcome> runCommandProbe(const config::ProbeConfig& probe,
                                                     CommandTarget target);

}  // namespace medic::probes
