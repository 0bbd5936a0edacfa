#pragma once
/// https peers for tests: a private CA made with the openssl CLI (Debian's openssl package), and
/// an https receiver on 127.0.0.1 (Beast + asio::ssl) that records what it gets.

#include <atomic>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace medic::test {

/// A CA in `dir` (ca.pem, ca.key), made by `openssl req -x509`. error() says what openssl said
/// when it could not be made.
class TestCa {
 public:
  TestCa(std::filesystem::path dir, const std::string& common_name);
  const std::string& error() const { return error_; }
  std::filesystem::path caFile() const { return dir_ / "ca.pem"; }

  struct Issued {
    std::filesystem::path cert;
    std::filesystem::path key;
  };
  /// A server certificate signed by this CA for `sans` (e.g. "IP:127.0.0.1" or
  /// "DNS:localhost,IP:127.0.0.1"), as <stem>.pem and <stem>.key. Empty paths and error() set
  /// when openssl fails.
  Issued issue(const std::string& stem, const std::string& sans);

 private:
  bool openssl(const std::vector<std::string>& args);
  std::filesystem::path dir_;
  std::string error_;
};

/// An https receiver on 127.0.0.1:<free port>, serving `cert`/`key` from its own thread. Each
/// request is recorded and answered with the next scripted status (200 once the script is used
/// up), body "ok".
class HttpsReceiver {
 public:
  struct Request {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  ///< names in lower case
    std::string body;
    std::string sni;  ///< the server name the client sent, "" when none
  };

  HttpsReceiver(const std::filesystem::path& cert, const std::filesystem::path& key,
                std::deque<int> statuses = {});
  ~HttpsReceiver();
  HttpsReceiver(const HttpsReceiver&) = delete;
  HttpsReceiver& operator=(const HttpsReceiver&) = delete;

  int port() const { return port_; }
  std::vector<Request> requests() const;
  /// TLS handshakes that failed (a client that refused this receiver's certificate).
  int failedHandshakes() const { return failed_handshakes_.load(); }

 private:
  struct Impl;
  /// Records a request; the status to answer with.
  int record(Request r);
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::atomic<int> failed_handshakes_{0};
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  std::deque<int> statuses_;
  std::thread thread_;
};

}  // namespace medic::test
