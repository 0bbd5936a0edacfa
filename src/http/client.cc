#include "http/client.h"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "http_client/client.h"

namespace medic::http {
namespace bhttp = boost::beast::http;

namespace {
/// Status and event lists of a large host stay far below this; beast's default limit, kept.
constexpr size_t kMaxAnswerBytes = size_t{8} * 1024 * 1024;
}  // namespace

Result<ClientResponse> request(const std::string& base_url, const std::string& method,
                               const std::string& path, const std::string& body,
                               const std::string& token, Millis timeout) {
  auto url = http_client::parseUrl(base_url);
  if (!url) {
    return Error::make(ErrorKind::kBadRequest, "daemon URL " + base_url + ": " +
                                                   url.error().message +
                                                   " (write e.g. http://127.0.0.1:8080)");
  }
  url->target = path;
  auto req = http_client::makeRequest(bhttp::string_to_verb(method), *url,
                                      "medic-cli/" MEDIC_VERSION);
  if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
  if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http_client::Options options;
  options.timeout = timeout;
  options.limits.max_body = kMaxAnswerBytes;
  auto res = http_client::fetchBlocking(base_url + path, *url, req, options);
  if (!res) {
    if (res.error().kind != ErrorKind::kUnreachable) return res.error();
    return Error::make(ErrorKind::kUnreachable,
                       "cannot reach the medic daemon: " + res.error().message +
                           " (is `medic watch` running? pass --url or --state-dir)");
  }
  return ClientResponse{res->status, std::move(res->body)};
}

Result<DaemonAddress> findDaemon(const std::string& state_dir, const std::string& url_override) {
  DaemonAddress out;
  std::ifstream token_in(state_dir + "/token");
  if (token_in) std::getline(token_in, out.token);
  if (!url_override.empty()) {
    out.url = url_override;
    return out;
  }
  std::ifstream in(state_dir + "/daemon.json");
  if (!in) {
    return Error::make(ErrorKind::kUnreachable,
                       "no running daemon found: " + state_dir +
                           "/daemon.json does not exist (start `medic watch`, or pass --url / "
                           "--state-dir)");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.contains("url")) {
    return Error::make(ErrorKind::kIo, state_dir + "/daemon.json is not readable JSON with a url");
  }
  out.url = j["url"].get<std::string>();
  return out;
}

Result<std::string> loadOrCreateToken(const std::string& state_dir) {
  const std::string path = state_dir + "/token";
  std::ifstream in(path);
  std::string token;
  if (in && std::getline(in, token) && token.size() >= 64) return token;
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return Error::make(ErrorKind::kInternal, "cannot generate a token: no randomness");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  token.clear();
  for (unsigned char b : bytes) {
    token.push_back(kHex[b >> 4]);
    token.push_back(kHex[b & 0xf]);
  }
  auto st = writeFileAtomic(path, token + "\n", 0600);
  if (!st) return st.error();
  return token;
}

}  // namespace medic::http
