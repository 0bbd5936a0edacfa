#include "http_client/url.h"

#include <boost/url/parse.hpp>

namespace medic::http_client {

Result<Url> parseUrl(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return Error::make(ErrorKind::kBadRequest, "not a URL: " + std::string(text));
  Url u;
  const auto scheme = parsed->scheme_id();
  if (scheme == boost::urls::scheme::http) {
    u.port = "80";
  } else if (scheme == boost::urls::scheme::https) {
    u.tls = true;
    u.port = "443";
  } else {
    return Error::make(ErrorKind::kBadRequest, "only http and https URLs are supported, not " +
                                                   std::string(parsed->scheme()));
  }
  u.host = std::string(parsed->host_address());
  if (u.host.empty()) {
    return Error::make(ErrorKind::kBadRequest, "no host in " + std::string(text));
  }
  if (u.host.front() == '[') u.host = u.host.substr(1, u.host.size() - 2);
  if (parsed->has_port()) u.port = std::string(parsed->port());
  u.authority = std::string(parsed->encoded_host_and_port());
  u.target = std::string(parsed->encoded_target());
  if (u.target.empty()) u.target = "/";
  return u;
}

}  // namespace medic::http_client
