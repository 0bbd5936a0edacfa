#pragma once
/// Validation of the network addresses an operator writes in medic.yaml or in container labels
/// (medic.probe.http, medic.probe.tcp). Each check returns Ok, or an Error of kind kConfig whose
/// message says what is wrong with the text and what to write instead; callers prefix the
/// location (file, line, key or label).

#include <string_view>

#include "core/result.h"

namespace medic::config {

/// "host:port" with a port in 1..65535 and a host that is a DNS name, an IPv4 address or a
/// bracketed IPv6 address ("[::1]:8080").
Status checkHostPort(std::string_view text);

/// An http:// or https:// URL with a host (optional port 1..65535, path, query). Other schemes
/// are refused: probes speak HTTP only.
Status checkHttpUrl(std::string_view text);

/// The Docker engine address: "unix:///absolute/path" or "tcp://host:port".
Status checkDockerAddress(std::string_view text);

}  // namespace medic::config
