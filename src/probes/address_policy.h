#pragma once
/// Which resolved addresses a probe may contact (DESIGN §4 Security rules): never link-local
/// (169.254.0.0/16, fe80::/10) or cloud metadata endpoints, whatever name resolved to them.

#include <string>

#include <boost/asio/ip/address.hpp>

namespace medic::probes {

/// Empty when allowed; otherwise the reason it is refused.
std::string refusedAddressReason(const boost::asio::ip::address& address);

}  // namespace medic::probes
