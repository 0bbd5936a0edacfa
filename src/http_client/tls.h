#pragma once
/// Client TLS settings shared by every medic HTTP client: TLS 1.2 or newer, the peer's
/// certificate verified (never optional), against the system CA store or a private CA file.

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "core/result.h"

namespace medic::http_client {

/// Sets up `ctx` (made with ssl::context::tls_client) to verify peers: against `ca_file` only
/// when given (a PEM file of one or more CA certificates, like curl --cacert), else against the
/// system CA store. kConfig naming the file when it cannot be loaded.
Status configureTls(boost::asio::ssl::context& ctx, const std::string& ca_file = {});

/// A context configured as above, to be shared by the calls of one client (a sink).
Result<std::shared_ptr<boost::asio::ssl::context>> makeTlsContext(const std::string& ca_file = {});

}  // namespace medic::http_client
