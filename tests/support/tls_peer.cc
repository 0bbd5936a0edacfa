#include "support/tls_peer.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <fstream>

#include "support/process.h"

namespace medic::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;

// ---- TestCa ----

TestCa::TestCa(std::filesystem::path dir, const std::string& common_name) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", (dir_ / "ca.key").string(), "-out", (dir_ / "ca.pem").string(), "-days",
           "2", "-subj", "/CN=" + common_name, "-addext", "basicConstraints=critical,CA:TRUE",
           "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
}

bool TestCa::openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = runProcess(argv, std::chrono::seconds(30));
  if (!r.ok()) error_ = "openssl " + args.at(0) + " failed: " + r.describe();
  return r.ok();
}

TestCa::Issued TestCa::issue(const std::string& stem, const std::string& sans) {
  const auto key = dir_ / (stem + ".key");
  const auto csr = dir_ / (stem + ".csr");
  const auto cert = dir_ / (stem + ".pem");
  const auto ext = dir_ / (stem + ".ext");
  std::ofstream(ext) << "subjectAltName=" << sans << "\nextendedKeyUsage=serverAuth\n";
  if (!openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key.string(), "-out", csr.string(), "-subj", "/CN=" + stem}) ||
      !openssl({"x509", "-req", "-in", csr.string(), "-CA", caFile().string(), "-CAkey",
                (dir_ / "ca.key").string(), "-CAcreateserial", "-out", cert.string(), "-days",
                "2", "-extfile", ext.string()})) {
    return {};
  }
  return {cert, key};
}

// ---- HttpsReceiver ----

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

struct HttpsReceiver::Impl {
  asio::io_context io;
  asio::ssl::context ctx{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  HttpsReceiver* owner = nullptr;

  // Coroutines are members taking their state as parameters: a lambda coroutine's captures die
  // with the lambda, before the coroutine ends.
  asio::awaitable<void> serve() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), ctx);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
    if (hec) {
      ++owner->failed_handshakes_;
      co_return;
    }
    Request r;
    if (const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
      r.sni = sni;
    }
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    auto [rec, n] = co_await bhttp::async_read(stream, buffer, req, kNoThrow);
    if (rec) co_return;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& f : req) r.headers[lower(std::string(f.name_string()))] = std::string(f.value());
    r.body = req.body();
    const int status = owner->record(std::move(r));
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.body() = "ok";
    res.keep_alive(false);
    res.prepare_payload();
    co_await bhttp::async_write(stream, res, kNoThrow);
    co_await stream.async_shutdown(kNoThrow);
  }
};

int HttpsReceiver::record(Request r) {
  std::lock_guard lock(mu_);
  requests_.push_back(std::move(r));
  if (statuses_.empty()) return 200;
  const int status = statuses_.front();
  statuses_.pop_front();
  return status;
}

HttpsReceiver::HttpsReceiver(const std::filesystem::path& cert, const std::filesystem::path& key,
                             std::deque<int> statuses)
    : impl_(std::make_unique<Impl>()), statuses_(std::move(statuses)) {
  impl_->owner = this;
  impl_->ctx.use_certificate_chain_file(cert.string());
  impl_->ctx.use_private_key_file(key.string(), asio::ssl::context::pem);
  const tcp::endpoint local(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(local.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(local);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->serve(), asio::detached);
  thread_ = std::thread([this] { impl_->io.run(); });
}

HttpsReceiver::~HttpsReceiver() {
  impl_->io.stop();
  if (thread_.joinable()) thread_.join();
}

std::vector<HttpsReceiver::Request> HttpsReceiver::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

}  // namespace medic::test
