#include "docker/wire.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace medic::docker {

std::string EngineAddress::display() const {
  if (kind == Kind::kUnix) return path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<EngineAddress> parseEngineAddress(std::string_view address) {
  auto bad = [&](std::string_view why) {
    return Error::make(ErrorKind::kConfig,
                       "invalid Docker engine address '" + std::string(address) +
                           "': " + std::string(why) +
                           " — use unix:///var/run/docker.sock or tcp://127.0.0.1:2375");
  };
  constexpr std::string_view kUnix = "unix://";
  constexpr std::string_view kTcp = "tcp://";
  EngineAddress out;
  if (address.starts_with(kUnix)) {
    out.kind = EngineAddress::Kind::kUnix;
    out.path = std::string(address.substr(kUnix.size()));
    if (out.path.empty() || out.path.front() != '/') return bad("the socket path must be absolute");
    if (out.path.find('\0') != std::string::npos) return bad("the socket path contains NUL");
    return out;
  }
  if (address.starts_with(kTcp)) {
    out.kind = EngineAddress::Kind::kTcp;
    std::string_view rest = address.substr(kTcp.size());
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    std::string_view host;
    std::string_view port;
    if (rest.starts_with("[")) {
      auto close = rest.find(']');
      if (close == std::string_view::npos) return bad("unterminated IPv6 literal");
      host = rest.substr(1, close - 1);
      std::string_view after = rest.substr(close + 1);
      if (!after.starts_with(":")) return bad("missing port");
      port = after.substr(1);
    } else {
      auto colon = rest.rfind(':');
      if (colon == std::string_view::npos) return bad("missing port");
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
    }
    if (host.empty()) return bad("missing host");
    if (host.find_first_of("/?#@ ") != std::string_view::npos) return bad("malformed host");
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535) {
      return bad("the port must be a number from 1 to 65535");
    }
    out.host = std::string(host);
    out.port = static_cast<uint16_t>(value);
    return out;
  }
  if (address.starts_with("tcp+tls://") || address.starts_with("https://")) {
    return bad("TLS connections to the engine are not supported yet");
  }
  return bad("the scheme must be unix:// or tcp://");
}

std::string urlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string encodeFilters(const std::map<std::string, std::vector<std::string>>& filters) {
  nlohmann::json doc = nlohmann::json::object();
  for (const auto& [key, values] : filters) {
    if (values.empty()) continue;
    nlohmann::json set = nlohmann::json::object();
    for (const auto& v : values) set[v] = true;
    doc[key] = std::move(set);
  }
  return doc.dump();
}

namespace {

bool parseVersion(std::string_view v, long& major, long& minor) {
  auto dot = v.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == v.size()) return false;
  auto parse = [](std::string_view part, long& out) {
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc() && ptr == part.data() + part.size() && out >= 0;
  };
  return parse(v.substr(0, dot), major) && parse(v.substr(dot + 1), minor);
}

}  // namespace

int compareApiVersions(std::string_view a, std::string_view b) {
  long a_major = 0, a_minor = 0, b_major = 0, b_minor = 0;
  bool a_ok = parseVersion(a, a_major, a_minor);
  bool b_ok = parseVersion(b, b_major, b_minor);
  if (!a_ok || !b_ok) return static_cast<int>(a_ok) - static_cast<int>(b_ok);
  if (a_major != b_major) return a_major < b_major ? -1 : 1;
  if (a_minor != b_minor) return a_minor < b_minor ? -1 : 1;
  return 0;
}

std::string apiMismatchMessage(std::string_view engine_min, std::string_view engine_max) {
  const std::string min(engine_min), max(engine_max);
  std::string theirs = "an unknown range";
  if (!min.empty() && !max.empty()) {
    theirs = min + " to " + max;
  } else if (!max.empty()) {
    theirs = "up to " + max;
  } else if (!min.empty()) {
    theirs = min + " and newer";
  }
  std::string text = "no Docker API version in common: the engine speaks " + theirs +
                     ", medic speaks " + std::string(kMinApiVersion) + " to " +
                     std::string(kMaxApiVersion);
  if (!max.empty() && compareApiVersions(max, kMinApiVersion) < 0) {
    return text + " — upgrade the Docker engine (medic needs Docker 20.10 or newer)";
  }
  return text + " — upgrade medic" +
         (min.empty() ? std::string() : " (this engine needs API " + min + " or newer)");
}

Result<std::string> negotiateApiVersion(std::string_view engine_max, std::string_view engine_min) {
  long major = 0, minor = 0;
  if (!parseVersion(engine_max, major, minor)) {
    return Error::make(
        ErrorKind::kEngine,
        "the Docker engine reported an unreadable API version '" + std::string(engine_max) + "'");
  }
  // An unreadable minimum is treated as unknown: the maximum alone decides, and a request the
  // engine still refuses is re-negotiated from its own message (see parseVersionRefusal).
  if (!parseVersion(engine_min, major, minor)) engine_min = {};
  const bool engine_too_old = compareApiVersions(engine_max, kMinApiVersion) < 0;
  const bool engine_too_new =
      !engine_min.empty() && compareApiVersions(engine_min, kMaxApiVersion) > 0;
  if (engine_too_old || engine_too_new) {
    return Error::make(ErrorKind::kEngine, apiMismatchMessage(engine_min, engine_max));
  }
  if (compareApiVersions(engine_max, kMaxApiVersion) > 0) return std::string(kMaxApiVersion);
  return std::string(engine_max);
}

Result<std::string> parseFixedApiVersion(std::string_view text, std::string_view source) {
  std::string_view v = text;
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\n')) {
    v.remove_suffix(1);
  }
  if (v.starts_with('v')) v.remove_prefix(1);
  if (v.empty()) return std::string();  // set but blank: negotiate, as the CLI does
  const std::string range = std::string(kMinApiVersion) + " to " + std::string(kMaxApiVersion);
  long major = 0, minor = 0;
  if (!parseVersion(v, major, minor)) {
    return Error::make(ErrorKind::kConfig,
                       std::string(source) + "='" + std::string(text) +
                           "' is not an API version like 1.44 — set it to a version from " +
                           range + ", or unset it to let medic negotiate with the engine");
  }
  if (compareApiVersions(v, kMinApiVersion) < 0 || compareApiVersions(v, kMaxApiVersion) > 0) {
    return Error::make(ErrorKind::kConfig,
                       std::string(source) + "=" + std::string(v) +
                           " is outside the API versions medic speaks (" + range +
                           ") — set one of those, or unset it to let medic negotiate");
  }
  return std::to_string(major) + "." + std::to_string(minor);
}

std::optional<VersionRefusal> parseVersionRefusal(std::string_view message) {
  // The engine's wording since Docker 1.13 (moby's versionUnsupportedError).
  constexpr std::string_view kPrefix = "client version ";
  auto at = message.find(kPrefix);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = message.substr(at + kPrefix.size());
  auto space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  VersionRefusal out;
  out.requested = std::string(rest.substr(0, space));
  rest.remove_prefix(space);
  std::string_view marker;
  if (rest.starts_with(" is too old.")) {
    out.too_old = true;
    marker = "Minimum supported API version is ";
  } else if (rest.starts_with(" is too new.")) {
    marker = "Maximum supported API version is ";
  } else {
    return std::nullopt;
  }
  auto m = rest.find(marker);
  if (m == std::string_view::npos) return std::nullopt;
  rest.remove_prefix(m + marker.size());
  auto end = rest.find_first_not_of("0123456789.");
  std::string_view version = rest.substr(0, end);
  while (!version.empty() && version.back() == '.') version.remove_suffix(1);  // sentence's end
  long major = 0, minor = 0;
  if (!parseVersion(version, major, minor)) return std::nullopt;
  out.supported = std::string(version);
  return out;
}

void ExecStreamDemuxer::append(std::string_view bytes) {
  std::size_t room = limit_ > output_.size() ? limit_ - output_.size() : 0;
  std::size_t take = std::min(room, bytes.size());
  output_.append(bytes.substr(0, take));
  dropped_ += bytes.size() - take;
}

void ExecStreamDemuxer::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    if (remaining_ > 0) {
      std::size_t take = std::min(remaining_, bytes.size());
      append(bytes.substr(0, take));
      remaining_ -= take;
      bytes.remove_prefix(take);
      continue;
    }
    std::size_t take = std::min<std::size_t>(8 - header_fill_, bytes.size());
    std::copy_n(bytes.data(), take, header_ + header_fill_);
    header_fill_ += take;
    bytes.remove_prefix(take);
    if (header_fill_ < 8) return;
    header_fill_ = 0;
    remaining_ = (std::size_t{header_[4]} << 24) | (std::size_t{header_[5]} << 16) |
                 (std::size_t{header_[6]} << 8) | std::size_t{header_[7]};
  }
}

bool LineSplitter::feed(std::string_view bytes, std::vector<std::string>& lines) {
  while (!bytes.empty()) {
    auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      pending_.append(bytes);
      break;
    }
    pending_.append(bytes.substr(0, nl));
    bytes.remove_prefix(nl + 1);
    if (!pending_.empty() && pending_.back() == '\r') pending_.pop_back();
    if (!pending_.empty()) lines.push_back(std::move(pending_));
    pending_.clear();
  }
  return pending_.size() <= max_line_;
}

}  // namespace medic::docker
