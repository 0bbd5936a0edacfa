#include "probes/address_policy.h"

#include <gtest/gtest.h>

namespace medic::probes {
namespace {

using boost::asio::ip::make_address;

TEST(AddressPolicy, RefusesLinkLocalAndMetadata) {
  EXPECT_FALSE(refusedAddressReason(make_address("169.254.169.254")).empty());
  EXPECT_FALSE(refusedAddressReason(make_address("100.100.100.200")).empty());
  EXPECT_FALSE(refusedAddressReason(make_address("fe80::1")).empty());
  EXPECT_FALSE(refusedAddressReason(make_address("::ffff:169.254.1.1")).empty());
  EXPECT_FALSE(refusedAddressReason(make_address("fd00:ec2::254")).empty());
}

TEST(AddressPolicy, AllowsLoopbackAndOrdinaryAddresses) {
  EXPECT_TRUE(refusedAddressReason(make_address("127.0.0.1")).empty());
  EXPECT_TRUE(refusedAddressReason(make_address("::1")).empty());
  EXPECT_TRUE(refusedAddressReason(make_address("203.0.113.7")).empty());
}

}  // namespace
}  // namespace medic::probes
