#include "config/address.h"

#include <arpa/inet.h>

#include <boost/url/parse.hpp>
#include <cctype>
#include <string>

namespace medic::config {
namespace {

Status bad(std::string message) {
  return Error::make(ErrorKind::kConfig, std::move(message));
}

std::string quoted(std::string_view text) {
  constexpr size_t kMaxShown = 80;
  if (text.size() > kMaxShown) return "'" + std::string(text.substr(0, kMaxShown)) + "...'";
  return "'" + std::string(text) + "'";
}

bool isIpv4(std::string_view text) {
  in_addr addr{};
  return inet_pton(AF_INET, std::string(text).c_str(), &addr) == 1;
}

bool isIpv6(std::string_view text) {
  in6_addr addr{};
  return inet_pton(AF_INET6, std::string(text).c_str(), &addr) == 1;
}

/// DNS name (letters, digits, '-', and '_' as compose service names use it), or IPv4. A name made
/// only of digits and dots must be a valid IPv4 address, so "300.1.1.1" is caught here.
bool isHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  bool numeric = true;
  size_t label_len = 0;
  for (size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    if (c == '.') {
      if (label_len == 0 || host[i - 1] == '-') return false;
      label_len = 0;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    if (c == '-' && label_len == 0) return false;
    if (!std::isdigit(static_cast<unsigned char>(c))) numeric = false;
    if (++label_len > 63) return false;
  }
  if (label_len == 0 || host.back() == '-') return false;
  return numeric ? isIpv4(host) : true;
}

/// Port text must be 1..65535 written in plain digits.
bool isPort(std::string_view text) {
  if (text.empty() || text.size() > 5) return false;
  int port = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    port = port * 10 + (c - '0');
  }
  return port >= 1 && port <= 65535;
}

}  // namespace

Status checkHostPort(std::string_view text) {
  const std::string hint = " (write host:port, e.g. 127.0.0.1:8080, localhost:5432 or [::1]:8080)";
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad(quoted(text) + " is not host:port" + hint);
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (!isIpv6(host))
      return bad(quoted(text) + ": '" + std::string(host) + "' is not an IPv6 address" + hint);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad(quoted(text) + " has no port" + hint);
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return bad(quoted(text) + ": an IPv6 address needs brackets" + hint);
    }
    if (!isHostName(host)) {
      return bad(quoted(text) + ": '" + std::string(host) + "' is not a host name or IP address" +
                 hint);
    }
  }
  if (!isPort(port)) {
    return bad(quoted(text) + ": the port must be a number from 1 to 65535" + hint);
  }
  return okStatus();
}

Status checkHttpUrl(std::string_view text) {
  const std::string hint = " (write e.g. http://127.0.0.1:8080/health)";
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return bad(quoted(text) + " is not a URL" + hint);
  const auto& url = *parsed;
  std::string scheme(url.scheme());
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") {
    return bad(quoted(text) + ": scheme '" + std::string(url.scheme()) +
               "' is not allowed; probe URLs are http:// or https:// only");
  }
  if (!url.has_authority() || url.encoded_host().empty()) {
    return bad(quoted(text) + " has no host" + hint);
  }
  switch (url.host_type()) {
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      break;
    case boost::urls::host_type::name:
      if (!isHostName(url.encoded_host())) {
        return bad(quoted(text) + ": '" + std::string(url.encoded_host()) +
                   "' is not a host name or IP address" + hint);
      }
      break;
    default:
      return bad(quoted(text) + ": unsupported host form" + hint);
  }
  if (url.has_port() && !isPort(url.port())) {
    return bad(quoted(text) + ": the port must be a number from 1 to 65535" + hint);
  }
  return okStatus();
}

Status checkDockerAddress(std::string_view text) {
  const std::string hint = " (write unix:///var/run/docker.sock or tcp://127.0.0.1:2375)";
  constexpr std::string_view kUnix = "unix://";
  constexpr std::string_view kTcp = "tcp://";
  if (text.substr(0, kUnix.size()) == kUnix) {
    const std::string_view path = text.substr(kUnix.size());
    if (path.empty() || path.front() != '/') {
      return bad(quoted(text) + ": the socket path must be absolute" + hint);
    }
    return okStatus();
  }
  if (text.substr(0, kTcp.size()) == kTcp) {
    std::string_view rest = text.substr(kTcp.size());
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    Status address = checkHostPort(rest);
    if (!address) return bad(quoted(text) + ": " + address.error().message);
    return okStatus();
  }
  return bad(quoted(text) + " is not a Docker address" + hint);
}

}  // namespace medic::config
