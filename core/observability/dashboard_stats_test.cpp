#include "observability/dashboard_stats.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include "util/clock.hpp"

using namespace memolib::core;

namespace {

rapidjson::Document parse(const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    return d;
}

RequestOutcome ok(double ms) { return {200, false, false, false, ms}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(dashboard_stats)

BOOST_AUTO_TEST_CASE(percentiles_are_within_their_bucket) {
    ManualClock clock(1000);
    DashboardStats stats(std::chrono::minutes(5), 60, clock);
    // 1..1000 ms, once each: p50 = 500, p95 = 950, p99 = 990.
    for (int i = 1; i <= 1000; ++i) stats.record("form", ok(i));
    auto d = parse(stats.to_json({"form"}, AlertThresholds{}));
    const auto& latency = d["channels"][0]["latency_ms"];
    BOOST_TEST(latency["p50"].GetDouble() == 500, boost::test_tools::tolerance(0.06));
    BOOST_TEST(latency["p95"].GetDouble() == 950, boost::test_tools::tolerance(0.06));
    BOOST_TEST(latency["p99"].GetDouble() == 990, boost::test_tools::tolerance(0.06));
}

BOOST_AUTO_TEST_CASE(old_slots_leave_the_window) {
    ManualClock clock(0);
    DashboardStats stats(std::chrono::seconds(60), 60, clock);
    stats.record("form", {500, false, false, false, 1});
    clock.set(30'000);
    stats.record("form", ok(1));
    clock.set(59'000);
    auto both = parse(stats.to_json({"form"}, AlertThresholds{}));
    BOOST_TEST(both["channels"][0]["requests"].GetUint64() == 2u);
    BOOST_TEST(both["channels"][0]["error_rate"].GetDouble() == 0.5);
    // A minute later the error is out of the window; the slot it used is reused cleanly.
    clock.set(60'500);
    stats.record("form", ok(1));
    clock.set(61'000);
    auto later = parse(stats.to_json({"form"}, AlertThresholds{}));
    BOOST_TEST(later["channels"][0]["requests"].GetUint64() == 2u);
    BOOST_TEST(later["channels"][0]["errors"].GetUint64() == 0u);
}

// With 60 slots of 1 s, a request recorded in [0, 1000) counts while the clock is below
// 60 000 and not from 60 000 on, wherever in its slot it was recorded.
BOOST_AUTO_TEST_CASE(a_request_leaves_the_window_when_its_slot_does) {
    ManualClock clock(0);
    DashboardStats stats(std::chrono::seconds(60), 60, clock);
    stats.record("form", ok(1));
    clock.set(999);
    stats.record("form", ok(1));
    const auto requests_at = [&](std::int64_t now) {
        clock.set(now);
        return parse(stats.to_json({"form"}, AlertThresholds{}))["channels"][0]["requests"]
            .GetUint64();
    };
    BOOST_TEST(requests_at(1'000) == 2u);
    BOOST_TEST(requests_at(59'999) == 2u);
    BOOST_TEST(requests_at(60'000) == 0u);
    BOOST_TEST(requests_at(60'001) == 0u);
    // A slot reused a window later starts from zero, not from what it held.
    clock.set(60'000);
    stats.record("form", ok(1));
    BOOST_TEST(requests_at(60'000) == 1u);
    BOOST_TEST(requests_at(119'999) == 1u);
    BOOST_TEST(requests_at(120'000) == 0u);
}

// The clock at the reading, not the latest record, bounds the window: an idle channel's old
// requests leave it.
BOOST_AUTO_TEST_CASE(an_idle_channel_empties_as_time_passes) {
    ManualClock clock(0);
    DashboardStats stats(std::chrono::seconds(10), 10, clock);
    stats.record("sms", {503, false, false, false, 1});
    clock.set(9'999);
    auto before = parse(stats.to_json({"sms"}, AlertThresholds{}));
    BOOST_TEST(before["channels"][0]["errors"].GetUint64() == 1u);
    BOOST_TEST(before["channels"][0]["alerts"].Size() == 1u);
    clock.set(10'000);
    auto after = parse(stats.to_json({"sms"}, AlertThresholds{}));
    BOOST_TEST(after["channels"][0]["requests"].GetUint64() == 0u);
    BOOST_TEST(after["channels"][0]["alerts"].Size() == 0u);
}

BOOST_AUTO_TEST_CASE(alerts_fire_above_their_thresholds_only) {
    ManualClock clock(0);
    DashboardStats stats(std::chrono::minutes(5), 60, clock);
    AlertThresholds limits;
    for (int i = 0; i < 19; ++i) stats.record("sms", ok(2));
    stats.record("sms", {503, false, false, false, 6000});
    // 1 error in 20 is 5 %: not above the threshold; but the slowest 1 % is over 5 s.
    auto d = parse(stats.to_json({"sms"}, limits));
    const auto& alerts = d["channels"][0]["alerts"];
    BOOST_REQUIRE_EQUAL(alerts.Size(), 1u);
    BOOST_TEST(std::string(alerts[0]["alert"].GetString()) == "p99");
    stats.record("sms", {200, true, true, true, 1});
    stats.record("sms", {409, true, false, false, 1});
    stats.record("sms", {409, true, false, false, 1});
    auto more = parse(stats.to_json({"sms"}, limits));
    BOOST_TEST(more["channels"][0]["duplicates"].GetUint64() == 3u);
    BOOST_TEST(more["channels"][0]["cache"]["hit_rate"].GetDouble() == 1.0);
    BOOST_TEST(more["alerts"].Size() == 2u);
}

BOOST_AUTO_TEST_CASE(buckets_cover_the_range) {
    BOOST_TEST(DashboardStats::bucket_of(0) == 0u);
    BOOST_TEST(DashboardStats::bucket_of(-1) == 0u);
    BOOST_TEST(DashboardStats::bucket_of(1e12) == DashboardStats::bucket_of(1e9));
    for (double ms : {0.05, 1.0, 7.5, 120.0, 5000.0}) {
        BOOST_TEST(DashboardStats::bucket_value_ms(DashboardStats::bucket_of(ms)) == ms,
                   boost::test_tools::tolerance(0.06));
    }
}

BOOST_AUTO_TEST_SUITE_END()
