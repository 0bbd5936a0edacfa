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

Result<std::string> negotiateApiVersion(std::string_view engine_max) {
  long major = 0, minor = 0;
  if (!parseVersion(engine_max, major, minor)) {
    return Error::make(
        ErrorKind::kEngine,
        "the Docker engine reported an unreadable API version '" + std::string(engine_max) + "'");
  }
  if (compareApiVersions(engine_max, kMinApiVersion) < 0) {
    return Error::make(ErrorKind::kEngine,
                       "the Docker engine speaks API " + std::string(engine_max) +
                           " but medic needs at least " + std::string(kMinApiVersion) +
                           " (Docker 20.10) — upgrade the Docker engine");
  }
  if (compareApiVersions(engine_max, kMaxApiVersion) > 0) return std::string(kMaxApiVersion);
  return std::string(engine_max);
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
