#include "http/client.h"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"

namespace medic::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

Result<ClientResponse> request(const std::string& base_url, const std::string& method,
                               const std::string& path, const std::string& body,
                               const std::string& token, Millis timeout) {
  const std::string prefix = "http://";
  if (base_url.rfind(prefix, 0) != 0) {
    return Error::make(ErrorKind::kBadRequest, "daemon URL must start with http://: " + base_url);
  }
  std::string hostport = base_url.substr(prefix.size());
  if (auto slash = hostport.find('/'); slash != std::string::npos) hostport.resize(slash);
  auto colon = hostport.rfind(':');
  std::string host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
  std::string port = colon == std::string::npos ? "80" : hostport.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);

  asio::io_context io;
  beast::tcp_stream stream(io);
  bhttp::response<bhttp::string_body> res;
  beast::flat_buffer buffer;
  beast::error_code result_ec;
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), path, 11};
  req.set(bhttp::field::host, hostport);
  req.set(bhttp::field::user_agent, "medic-cli/" MEDIC_VERSION);
  if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
  if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();

  asio::ip::tcp::resolver resolver(io);
  stream.expires_after(timeout);
  resolver.async_resolve(host, port, [&](beast::error_code ec, auto results) {
    if (ec) {
      result_ec = ec;
      return;
    }
    stream.async_connect(results, [&](beast::error_code ec2, auto) {
      if (ec2) {
        result_ec = ec2;
        return;
      }
      bhttp::async_write(stream, req, [&](beast::error_code ec3, size_t) {
        if (ec3) {
          result_ec = ec3;
          return;
        }
        bhttp::async_read(stream, buffer, res,
                          [&](beast::error_code ec4, size_t) { result_ec = ec4; });
      });
    });
  });
  io.run();
  if (result_ec == beast::error::timeout) {
    return Error::make(ErrorKind::kTimeout,
                       method + " " + base_url + path + ": no answer within " +
                           std::to_string(timeout.count()) + " ms");
  }
  if (result_ec) {
    return Error::make(ErrorKind::kUnreachable,
                       "cannot reach the medic daemon at " + base_url + ": " + result_ec.message() +
                           " (is `medic watch` running? pass --url or --state-dir)");
  }
  return ClientResponse{static_cast<int>(res.result_int()), res.body()};
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
