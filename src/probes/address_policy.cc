#include "probes/address_policy.h"

namespace medic::probes {

std::string refusedAddressReason(const boost::asio::ip::address& address) {
  if (address.is_v4()) {
    auto b = address.to_v4().to_bytes();
    if (b[0] == 169 && b[1] == 254) return "link-local/cloud metadata address " + address.to_string();
    if (b[0] == 100 && b[1] == 100 && b[2] == 100 && b[3] == 200) {
      return "cloud metadata address " + address.to_string();
    }
    return {};
  }
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return refusedAddressReason(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  }
  if (v6.is_link_local()) return "link-local address " + address.to_string();
  auto b = v6.to_bytes();
  // fd00:ec2::254 (AWS IMDS over IPv6)
  if (b[0] == 0xfd && b[1] == 0x00 && b[2] == 0x0e && b[3] == 0xc2 && b[15] == 0x54 &&
      b[14] == 0x02) {
    return "cloud metadata address " + address.to_string();
  }
  return {};
}

}  // namespace medic::probes
