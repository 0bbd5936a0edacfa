#include "http_client/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace medic::http_client {
namespace asio = boost::asio;

Status configureTls(asio::ssl::context& ctx, const std::string& ca_file) {
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec) {
      return Error::make(ErrorKind::kConfig,
                         "cannot load the system CA store: " + ec.message() +
                             " (install Debian's ca-certificates, or set ca_file)");
    }
    return okStatus();
  }
  ctx.load_verify_file(ca_file, ec);
  if (ec) {
    return Error::make(ErrorKind::kConfig, "cannot load the CA file " + ca_file + ": " +
                                               ec.message() +
                                               " (it must be readable PEM with CA certificates)");
  }
  return okStatus();
}

Result<std::shared_ptr<asio::ssl::context>> makeTlsContext(const std::string& ca_file) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  auto st = configureTls(*ctx, ca_file);
  if (!st) return st.error();
  return ctx;
}

}  // namespace medic::http_client
