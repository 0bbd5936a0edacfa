// AlertQueue: dedup, resolve, ack, routing by minimum severity, bounded per-sink queues,
// persistence across a restart, redaction before any sink.

#include "alerts/alert_queue.h"

#include <gtest/gtest.h>

#include <chrono>

#include "alerts_test_util.h"
#include "store/store.h"

namespace medic::alerts {
namespace {

using testing::RecordingSink;
using testing::runUntil;
using testing::TempDir;
using State = RecordingSink::State;

const WallTime kT0 = WallTime(std::chrono::seconds(1'800'000'000));

AlertSpec spec(std::string key, Severity severity, std::string text = "it broke") {
  AlertSpec s;
  s.dedup_key = std::move(key);
  s.severity = severity;
  s.service = "webui";
  s.title = "webui failed";
  s.text = std::move(text);
  return s;
}

class AlertQueueTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      auto opened = store::Store::open(":memory:");
      ASSERT_TRUE(opened) << opened.error().describe();
      store_ = std::move(*opened);
    }
  }
  std::shared_ptr<State> addRecorder(AlertQueue& q, const std::string& name, Severity min) {
    auto state = std::make_shared<State>();
    q.addSink(name, min, std::make_unique<RecordingSink>(state));
    return state;
  }
  boost::asio::io_context io_;
  std::unique_ptr<store::Store> store_;
};

TEST_P(AlertQueueTest, RaisingTheSameKeyTwiceIsOneFiringAlertCountedTwice) {
  AlertQueue q(io_.get_executor(), store_.get());
  auto rec = addRecorder(q, "rec", Severity::kInfo);
  ASSERT_TRUE(q.start());

  auto first = q.raise(spec("failed:webui", Severity::kWarning, "first"), kT0);
  auto second = q.raise(spec("failed:webui", Severity::kWarning, "second"), kT0 + Millis(500));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->id, second->id);
  EXPECT_EQ(second->fire_count, 2);
  EXPECT_EQ(second->text, "second");
  EXPECT_EQ(second->created, kT0);
  EXPECT_EQ(second->updated, kT0 + Millis(500));

  auto firing = q.list(true);
  ASSERT_TRUE(firing);
  ASSERT_EQ(firing->size(), 1u);
  EXPECT_EQ(firing->front().fire_count, 2);
  EXPECT_EQ(q.counters().firingCount(Severity::kWarning), 1);
  EXPECT_EQ(q.counters().raised, 2u);

  ASSERT_TRUE(runUntil(io_, [&] { return q.idle(); }));
  // The repeat is counted, not announced again.
  ASSERT_EQ(rec->delivered.size(), 1u);
  EXPECT_EQ(rec->delivered[0].text, "first");
}

TEST_P(AlertQueueTest, FiringAgainAtAHigherSeverityIsAnnouncedAgain) {
  AlertQueue q(io_.get_executor(), store_.get());
  auto rec = addRecorder(q, "rec", Severity::kInfo);
  ASSERT_TRUE(q.start());
  ASSERT_TRUE(q.raise(spec("failed:webui", Severity::kWarning), kT0));
  ASSERT_TRUE(q.raise(spec("failed:webui", Severity::kCritical), kT0 + Millis(1)));
  ASSERT_TRUE(q.raise(spec("failed:webui", Severity::kWarning), kT0 + Millis(2)));
  ASSERT_TRUE(runUntil(io_, [&] { return q.idle(); }));
  ASSERT_EQ(rec->delivered.size(), 2u);
  EXPECT_EQ(rec->delivered[1].severity, Severity::kCritical);
  // The louder copy says what it replaces (Alertmanager ends the warning identity with it).
  EXPECT_FALSE(rec->delivered[0].replaces_severity.has_value());
  EXPECT_EQ(rec->delivered[1].replaces_severity, Severity::kWarning);
  // The quieter repeat keeps the highest severity reached: one identity until it resolves.
  auto firing = q.list(true);
  ASSERT_TRUE(firing);
  ASSERT_EQ(firing->size(), 1u);
  EXPECT_EQ(firing->front().severity, Severity::kCritical);
  EXPECT_EQ(q.counters().firingCount(Severity::kCritical), 1);
  EXPECT_EQ(q.counters().firingCount(Severity::kWarning), 0);
}

TEST_P(AlertQueueTest, ResolveEndsTheAlertAndTellsTheSinks) {
  AlertQueue q(io_.get_executor(), store_.get());
  auto rec = addRecorder(q, "rec", Severity::kInfo);
  ASSERT_TRUE(q.start());
  auto raised = q.raise(spec("failed:webui", Severity::kCritical), kT0);
  ASSERT_TRUE(raised);

  auto resolved = q.resolve("failed:webui", kT0 + Millis(3000));
  ASSERT_TRUE(resolved);
  EXPECT_TRUE(*resolved);
  auto again = q.resolve("failed:webui", kT0 + Millis(4000));
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again) << "nothing fires under that key any more";

  EXPECT_TRUE(q.list(true)->empty());
  auto all = q.list(false);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().state, AlertState::kResolved);
  ASSERT_TRUE(all->front().resolved.has_value());
  EXPECT_EQ(*all->front().resolved, kT0 + Millis(3000));
  EXPECT_EQ(q.counters().firingCount(Severity::kCritical), 0);

  ASSERT_TRUE(runUntil(io_, [&] { return q.idle(); }));
  ASSERT_EQ(rec->delivered.size(), 2u);
  EXPECT_EQ(rec->delivered[0].state, AlertState::kFiring);
  EXPECT_EQ(rec->delivered[1].state, AlertState::kResolved);
  EXPECT_EQ(rec->delivered[1].id, raised->id);

  // After it resolved, the same key starts a new alert.
  auto next = q.raise(spec("failed:webui", Severity::kCritical), kT0 + Millis(5000));
  ASSERT_TRUE(next);
  EXPECT_NE(next->id, raised->id);
  EXPECT_EQ(next->fire_count, 1);
}

TEST_P(AlertQueueTest, AckMarksTheAlertAndUnknownIdsAreNotFound) {
  AlertQueue q(io_.get_executor(), store_.get());
  ASSERT_TRUE(q.start());
  auto a = q.raise(spec("failed:webui", Severity::kWarning), kT0);
  ASSERT_TRUE(a);
  ASSERT_TRUE(q.ack(a->id));
  ASSERT_TRUE(q.ack(a->id)) << "ack is idempotent";
  EXPECT_TRUE(q.list(true)->front().acked);
  // Firing again keeps the acknowledgement.
  auto again = q.raise(spec("failed:webui", Severity::kWarning), kT0 + Millis(1));
  EXPECT_TRUE(again->acked);

  auto missing = q.ack(a->id + 1000);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST_P(AlertQueueTest, EachSinkGetsOnlyAlertsAtOrAboveItsMinimumSeverity) {
  AlertQueue q(io_.get_executor(), store_.get());
  auto all = addRecorder(q, "all", Severity::kInfo);
  auto warn = addRecorder(q, "warn", Severity::kWarning);
  auto crit = addRecorder(q, "crit", Severity::kCritical);
  ASSERT_TRUE(q.start());
  ASSERT_TRUE(q.raise(spec("a", Severity::kInfo), kT0));
  ASSERT_TRUE(q.raise(spec("b", Severity::kWarning), kT0));
  ASSERT_TRUE(q.raise(spec("c", Severity::kCritical), kT0));
  ASSERT_TRUE(runUntil(io_, [&] { return q.idle(); }));
  EXPECT_EQ(all->delivered.size(), 3u);
  ASSERT_EQ(warn->delivered.size(), 2u);
  EXPECT_EQ(warn->delivered[0].dedup_key, "b");
  ASSERT_EQ(crit->delivered.size(), 1u);
  EXPECT_EQ(crit->delivered[0].dedup_key, "c");

  const auto c = q.counters();
  ASSERT_EQ(c.sinks.size(), 3u);
  EXPECT_EQ(c.sinks[0].name, "all");
  EXPECT_EQ(c.sinks[0].sent, 3u);
  EXPECT_EQ(c.sinks[2].sent, 1u);
  EXPECT_EQ(c.firingCount(Severity::kInfo), 1);
  EXPECT_EQ(c.firingCount(Severity::kWarning), 1);
  EXPECT_EQ(c.firingCount(Severity::kCritical), 1);
}

TEST_P(AlertQueueTest, ASlowSinkDropsItsOldestAlertsAndCountsThemWithoutHoldingUpOthers) {
  AlertQueue q(io_.get_executor(), store_.get(), AlertQueueOptions{.sink_queue_capacity = 4});
  auto slow = std::make_shared<State>();
  slow->held = true;
  q.addSink("slow", Severity::kInfo, std::make_unique<RecordingSink>(slow));
  auto fast = addRecorder(q, "fast", Severity::kInfo);
  ASSERT_TRUE(q.start());

  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(q.raise(spec("k" + std::to_string(i), Severity::kWarning), kT0));
    io_.restart();
    io_.poll();  // let the slow sink take the first one into flight
  }
  ASSERT_TRUE(runUntil(io_, [&] { return fast->delivered.size() == 10; }))
      << "the fast sink got " << fast->delivered.size() << " of 10 while the slow one was stuck";
  auto c = q.counters();
  EXPECT_EQ(c.sinks[0].dropped, 5u) << "1 in flight + 4 queued of 10";
  EXPECT_EQ(c.sinks[0].queued, 4u);
  EXPECT_EQ(c.sinks[1].dropped, 0u);

  RecordingSink::release(*slow);
  ASSERT_TRUE(runUntil(io_, [&] { return q.idle(); }));
  ASSERT_EQ(slow->delivered.size(), 5u);
  EXPECT_EQ(slow->delivered[0].dedup_key, "k0");
  // Drop-oldest: what got through after the one in flight is the newest four.
  EXPECT_EQ(slow->delivered[1].dedup_key, "k6");
  EXPECT_EQ(slow->delivered[4].dedup_key, "k9");
  EXPECT_EQ(q.counters().sinks[0].sent, 5u);
}

TEST_P(AlertQueueTest, FailedDeliveriesAreCountedWithTheReason) {
  AlertQueue q(io_.get_executor(), store_.get());
  auto broken = addRecorder(q, "broken", Severity::kInfo);
  broken->fail = true;
  ASSERT_TRUE(q.start());
  ASSERT_TRUE(q.raise(spec("x", Severity::kCritical), kT0));
  ASSERT_TRUE(runUntil(io_, [&] { return q.idle(); }));
  const auto c = q.counters();
  EXPECT_EQ(c.sinks[0].failed, 1u);
  EXPECT_EQ(c.sinks[0].sent, 0u);
  EXPECT_NE(c.sinks[0].last_error.find("told to fail"), std::string::npos);
}

TEST_P(AlertQueueTest, SecretsAreRedactedBeforeTheStoreAndEverySink) {
  AlertQueue q(io_.get_executor(), store_.get());
  auto rec = addRecorder(q, "rec", Severity::kInfo);
  ASSERT_TRUE(q.start());
  AlertSpec s = spec("leak", Severity::kCritical,
                     "probe http://admin:hunter2@127.0.0.1:8080/ said Authorization: Bearer "
                     "abcdef0123456789abcdef0123456789");
  s.labels = {{"api_token", "tok-123456"}, {"team", "web"}};
  ASSERT_TRUE(q.raise(s, kT0));
  ASSERT_TRUE(runUntil(io_, [&] { return q.idle(); }));
  ASSERT_EQ(rec->delivered.size(), 1u);
  for (const Alert& a : {rec->delivered[0], q.list(true)->front()}) {
    EXPECT_EQ(a.text.find("hunter2"), std::string::npos) << a.text;
    EXPECT_EQ(a.text.find("abcdef0123456789abcdef"), std::string::npos) << a.text;
  }
  EXPECT_EQ(rec->delivered[0].labels["team"], "web");
  EXPECT_NE(rec->delivered[0].labels["api_token"], "tok-123456");
}

TEST_P(AlertQueueTest, LongTextIsCutNotCrashedOn) {
  AlertQueue q(io_.get_executor(), store_.get());
  ASSERT_TRUE(q.start());
  AlertSpec s = spec("long", Severity::kWarning, std::string(1 << 20, 'y'));
  s.title = std::string(10'000, 't');
  auto a = q.raise(s, kT0);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->text.size(), 4096u);
  EXPECT_TRUE(a->text.ends_with(" [truncated]"));
  EXPECT_EQ(a->title.size(), 256u);
}

TEST_P(AlertQueueTest, AnEmptyDedupKeyIsRefused) {
  AlertQueue q(io_.get_executor(), store_.get());
  ASSERT_TRUE(q.start());
  auto r = q.raise(spec("", Severity::kWarning), kT0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kBadRequest);
}

INSTANTIATE_TEST_SUITE_P(StoreOrMemory, AlertQueueTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Store" : "Memory"; });

TEST(AlertQueuePersistence, FiringAlertsSurviveARestartAndKeepDeduplicating) {
  TempDir dir;
  const auto db = dir.path() / "medic.db";
  int64_t id = 0;
  {
    boost::asio::io_context io;
    auto st = store::Store::open(db);
    ASSERT_TRUE(st) << st.error().describe();
    AlertQueue q(io.get_executor(), st->get());
    ASSERT_TRUE(q.start());
    auto a = q.raise(spec("failed:webui", Severity::kCritical), kT0);
    ASSERT_TRUE(a);
    id = a->id;
    ASSERT_TRUE(q.ack(id));
    ASSERT_TRUE(q.raise(spec("engine_unreachable:", Severity::kWarning), kT0));
    ASSERT_TRUE(q.resolve("engine_unreachable:", kT0 + Millis(10)));
  }
  boost::asio::io_context io;
  auto st = store::Store::open(db);
  ASSERT_TRUE(st) << st.error().describe();
  AlertQueue q(io.get_executor(), st->get());
  auto seen = std::make_shared<State>();
  auto resender = std::make_shared<State>();
  q.addSink("rec", Severity::kInfo, std::make_unique<RecordingSink>(seen));
  q.addSink("am", Severity::kInfo, std::make_unique<RecordingSink>(resender, /*resend=*/true));
  ASSERT_TRUE(q.start());

  auto firing = q.list(true);
  ASSERT_TRUE(firing);
  ASSERT_EQ(firing->size(), 1u);
  EXPECT_EQ(firing->front().id, id);
  EXPECT_TRUE(firing->front().acked);
  EXPECT_EQ(q.list(false)->size(), 2u);
  EXPECT_EQ(q.counters().firingCount(Severity::kCritical), 1);
  EXPECT_EQ(seen->seeded.size(), 2u) << "sinks are seeded with what the store holds";

  auto again = q.raise(spec("failed:webui", Severity::kCritical), kT0 + Millis(60'000));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, id);
  EXPECT_EQ(again->fire_count, 2);
  EXPECT_EQ(again->created, kT0);
  ASSERT_TRUE(runUntil(io, [&] { return q.idle(); }));
  EXPECT_TRUE(seen->delivered.empty()) << "an alert already firing before the restart is news to "
                                          "nobody";
  // A peer that forgets (Alertmanager) is told what fires right after the restart.
  ASSERT_EQ(resender->delivered.size(), 1u);
  EXPECT_EQ(resender->delivered[0].id, id);
}

TEST(AlertQueueResend, FiringAlertsAreSentAgainEveryResendInterval) {
  boost::asio::io_context io;
  AlertQueue q(io.get_executor(), nullptr, AlertQueueOptions{.resend_interval = Millis(1000)});
  auto am = std::make_shared<State>();
  q.addSink("am", Severity::kWarning, std::make_unique<RecordingSink>(am, /*resend=*/true));
  ASSERT_TRUE(q.start());
  ASSERT_TRUE(q.raise(spec("a", Severity::kCritical), kT0));
  ASSERT_TRUE(q.raise(spec("b", Severity::kInfo), kT0));  // below the sink's minimum
  ASSERT_TRUE(runUntil(
      io, [&] { return am->delivered.size() >= 2; }, std::chrono::seconds(3)));
  EXPECT_EQ(am->delivered[0].dedup_key, "a");
  EXPECT_EQ(am->delivered[1].dedup_key, "a");
}

TEST(AlertQueueStore, AnAlertTheStoreRefusesIsStillDelivered) {
  boost::asio::io_context io;
  TempDir dir;
  auto st = store::Store::open(dir.path() / "medic.db");
  ASSERT_TRUE(st);
  AlertQueue q(io.get_executor(), st->get());
  auto rec = std::make_shared<State>();
  q.addSink("rec", Severity::kInfo, std::make_unique<RecordingSink>(rec));
  ASSERT_TRUE(q.start());
  // Fill the database up to a page cap so the next growing write fails like a full disk.
  ASSERT_TRUE((*st)->setMaxPageCountForTest(1));
  AlertSpec big = spec("disk_full:", Severity::kCritical, std::string(4000, 'x'));
  auto a = q.raise(big, kT0);
  ASSERT_TRUE(a);
  EXPECT_LT(a->id, 0) << "not persisted: a negative in-memory id";
  EXPECT_EQ(q.counters().store_failures, 1u);
  ASSERT_TRUE(runUntil(io, [&] { return q.idle(); }));
  ASSERT_EQ(rec->delivered.size(), 1u);
  EXPECT_EQ(q.list(true)->front().dedup_key, "disk_full:");
}

}  // namespace
}  // namespace medic::alerts
