#pragma once
/// http:// and https:// URLs as the HTTP client sends to them.

#include <string>
#include <string_view>

#include "core/result.h"

namespace medic::http_client {

struct Url {
  bool tls = false;       ///< https
  std::string host;       ///< name or address, without brackets (SNI and the certificate check)
  std::string port;       ///< "80" or "443" when not written
  std::string target;     ///< path and query, "/" when empty
  std::string authority;  ///< host[:port] as written, for the Host header
};

/// Parses "http[s]://host[:port][/path][?query]" (a fragment is dropped, userinfo is ignored:
/// callers that must refuse them check the text themselves). kBadRequest naming the URL otherwise.
Result<Url> parseUrl(std::string_view url);

}  // namespace medic::http_client
