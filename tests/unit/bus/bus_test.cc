// The bus: message shape, ids that resume across a restart of the store, replay without gaps, and
// subscribers that cannot keep up are dropped and counted without holding up the others.
#include "bus/bus.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace medic::bus {
namespace {

Message msg(std::string channel, std::string type, std::string service = "web") {
  Message m;
  m.channel = std::move(channel);
  m.type = std::move(type);
  m.service = std::move(service);
  return m;
}

std::filesystem::path tempDb() {
  auto dir = std::filesystem::temp_directory_path() /
             ("medic-bus-test-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  return dir / "medic.db";
}

TEST(Message, JsonHasTheDesignShape) {
  Message m = msg("service_state", "removed");
  m.id = 7;
  m.host = "h";
  m.ts = "2026-11-25T19:34:28.123Z";
  m.severity = "critical";
  m.data = {{"container", "abc"}};
  m.evidence = {"ev-1"};
  auto j = toJson(m);
  for (const char* k :
       {"id", "channel", "type", "service", "host", "ts", "severity", "data", "evidence"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j.size(), 9u);
  EXPECT_EQ(j["id"], 7);
  EXPECT_EQ(j["evidence"], nlohmann::json::array({"ev-1"}));
  EXPECT_EQ(toSse(m), "id: 7\ndata: " + j.dump() + "\n\n");
}

TEST(Message, FromClientJsonNeedsATypeAndChecksFields) {
  EXPECT_FALSE(messageFromJson(nlohmann::json::array()));
  EXPECT_FALSE(messageFromJson({{"service", "web"}}));
  EXPECT_FALSE(messageFromJson({{"type", "confirm"}, {"severity", "loud"}}));
  EXPECT_FALSE(messageFromJson({{"type", "confirm"}, {"evidence", "x"}}));
  auto m = messageFromJson({{"type", "confirm"},
                            {"service", "web"},
                            {"data", {{"ok", true}}},
                            {"id", 99},
                            {"host", "spoofed"}});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->type, "confirm");
  EXPECT_EQ(m->id, 0);
  EXPECT_EQ(m->host, "");
  EXPECT_EQ(m->data["ok"], true);
}

TEST(Bus, RefusesUnknownChannels) {
  Bus bus(nullptr, "h");
  EXPECT_FALSE(bus.publish(msg("gossip", "x")));
  EXPECT_TRUE(bus.publish(msg("validation_results", "x")));
}

TEST(Bus, InMemoryIdsIncreaseAndReplayPerChannel) {
  Bus bus(nullptr, "h", 3);
  auto a = bus.publish(msg("service_state", "a"));
  auto b = bus.publish(msg("recovery_coordination", "b"));
  auto c = bus.publish(msg("service_state", "c"));
  ASSERT_TRUE(a && b && c);
  EXPECT_LT(a->id, b->id);
  EXPECT_LT(b->id, c->id);
  EXPECT_EQ(a->host, "h");
  EXPECT_FALSE(a->ts.empty());
  auto s = bus.since("service_state", a->id, 10);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].type, "c");
  EXPECT_EQ(bus.lastId(), c->id);
}

TEST(Bus, MessagesAreRedactedBeforeTheyAreKeptOrDelivered) {
  // A channel message is served (SSE, replay) and published to the fleet: secrets in its data,
  // whoever wrote them (medic or a client's POST), never leave.
  Bus bus(nullptr, "h");
  std::vector<Message> delivered;
  bus.subscribe("deployment_coordination", [&](const Message& m) {
    delivered.push_back(m);
    return true;
  });
  Message m = msg("deployment_coordination", "confirm");
  m.data = {{"note", "pushed with password=hunter2-CANARY-pw"},
            {"api_token", "tok-CANARY"},
            {"nested", {{"url", "https://bob:CANARY-pw@registry.test/v2/"}}}};
  auto published = bus.publish(m);
  ASSERT_TRUE(published);
  EXPECT_EQ(published->data.dump().find("CANARY"), std::string::npos) << published->data.dump();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].data.dump().find("CANARY"), std::string::npos);
  auto replay = bus.since("deployment_coordination", 0, 10);
  ASSERT_TRUE(replay);
  ASSERT_EQ(replay->size(), 1u);
  EXPECT_EQ((*replay)[0].data.dump().find("CANARY"), std::string::npos);
  EXPECT_EQ((*replay)[0].data["api_token"], "[REDACTED]");
}

TEST(Bus, StoreBackedIdsSurviveReopenAndReplayIsExact) {
  auto path = tempDb();
  int64_t second = 0;
  {
    auto store = store::Store::open(path);
    ASSERT_TRUE(store) << store.error().message;
    Bus bus(store->get(), "h");
    ASSERT_TRUE(bus.publish(msg("service_state", "removed")));
    auto m = bus.publish(msg("service_state", "recovered"));
    ASSERT_TRUE(m);
    second = m->id;
  }
  auto store = store::Store::open(path);
  ASSERT_TRUE(store);
  Bus bus(store->get(), "h");
  EXPECT_EQ(bus.lastId(), second);
  auto third = bus.publish(msg("service_state", "failed"));
  ASSERT_TRUE(third);
  EXPECT_GT(third->id, second);
  auto all = bus.since("service_state", 0, 100);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].type, "removed");
  EXPECT_EQ((*all)[1].id, second);
  EXPECT_EQ((*all)[2], *third);  // round trip through the store keeps every field
  std::filesystem::remove_all(path.parent_path());
}

TEST(Bus, LatestGivesTheNewestOfAChannelOldestFirst) {
  // In memory and in the store alike: the dashboards' "recent actions".
  auto path = tempDb();
  auto store = store::Store::open(path);
  ASSERT_TRUE(store) << store.error().message;
  Bus in_memory(nullptr, "h", 100);
  Bus stored(store->get(), "h");
  for (Bus* bus : {&in_memory, &stored}) {
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(bus->publish(msg("recovery_coordination", "step" + std::to_string(i))));
      ASSERT_TRUE(bus->publish(msg("service_state", "other")));
    }
    auto last3 = bus->latest("recovery_coordination", 3);
    ASSERT_TRUE(last3);
    ASSERT_EQ(last3->size(), 3u);
    EXPECT_EQ((*last3)[0].type, "step2");
    EXPECT_EQ((*last3)[2].type, "step4");
    EXPECT_LT((*last3)[0].id, (*last3)[1].id);
    EXPECT_EQ((*last3)[1].channel, "recovery_coordination");
    auto all = bus->latest("recovery_coordination", 100);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->size(), 5u);
    auto none = bus->latest("deployment_coordination", 10);
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
  }
  std::filesystem::remove_all(path.parent_path());
}

TEST(Bus, SubscribersSeeTheirChannelOnlyAndAFullOneIsDroppedAndCounted) {
  Bus bus(nullptr, "h");
  std::vector<int64_t> fast;
  int slow_taken = 0;
  bus.subscribe("service_state", [&](const Message& m) {
    fast.push_back(m.id);
    return true;
  });
  bus.subscribe("service_state", [&](const Message&) { return ++slow_taken <= 2; });
  bus.subscribe("recovery_coordination", [&](const Message&) {
    ADD_FAILURE() << "wrong channel delivered";
    return true;
  });
  EXPECT_EQ(bus.subscriberCount("service_state"), 2u);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(bus.publish(msg("service_state", "t")));
  EXPECT_EQ(fast.size(), 5u);
  EXPECT_EQ(slow_taken, 3);  // refused the third, never asked again
  EXPECT_EQ(bus.counters().dropped_subscribers, 1u);
  EXPECT_EQ(bus.subscriberCount("service_state"), 1u);
}

TEST(Bus, UnsubscribeFromInsideDeliveryIsSafe) {
  Bus bus(nullptr, "h");
  uint64_t second = 0;
  int calls = 0;
  bus.subscribe("service_state", [&](const Message&) {
    bus.unsubscribe(second);
    ++calls;
    return true;
  });
  second = bus.subscribe("service_state", [&](const Message&) {
    ++calls;
    return true;
  });
  ASSERT_TRUE(bus.publish(msg("service_state", "t")));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(bus.counters().dropped_subscribers, 0u);
}

}  // namespace
}  // namespace medic::bus
