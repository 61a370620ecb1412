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

// With 10 slots of 1 s, point i of the series is the slot that started 9 - i seconds before the
// current one; a request moves one point to the left each time the clock crosses a slot
// boundary, and leaves the series with the window.
BOOST_AUTO_TEST_CASE(the_series_has_one_point_per_slot_oldest_first) {
    ManualClock clock(0);
    DashboardStats stats(std::chrono::seconds(10), 10, clock);
    const auto series_at = [&](std::int64_t now) {
        clock.set(now);
        auto d = parse(stats.to_json({"form", "sms"}, AlertThresholds{}));
        BOOST_TEST(d["slot_seconds"].GetDouble() == 1.0);
        return d;
    };
    stats.record("form", ok(2));
    stats.record("form", {500, false, false, false, 40});
    clock.set(999);
    stats.record("form", ok(3));
    clock.set(1'000);
    stats.record("form", ok(8));

    auto d = series_at(1'999);
    const auto& s = d["channels"][0]["series"];
    BOOST_REQUIRE_EQUAL(s["offset_seconds"].Size(), 10u);
    BOOST_REQUIRE_EQUAL(s["requests_per_second"].Size(), 10u);
    BOOST_REQUIRE_EQUAL(s["error_rate"].Size(), 10u);
    BOOST_REQUIRE_EQUAL(s["p99_ms"].Size(), 10u);
    BOOST_TEST(s["offset_seconds"][0].GetDouble() == -9.0);
    BOOST_TEST(s["offset_seconds"][9].GetDouble() == 0.0);
    // Slot [0, 1000): 3 requests, 1 error, the slowest 40 ms; slot [1000, 2000): 1 request.
    BOOST_TEST(s["requests_per_second"][8].GetDouble() == 3.0);
    BOOST_TEST(s["error_rate"][8].GetDouble() == 1.0 / 3, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(s["p99_ms"][8].GetDouble() == 40, boost::test_tools::tolerance(0.06));
    BOOST_TEST(s["requests_per_second"][9].GetDouble() == 1.0);
    BOOST_TEST(s["error_rate"][9].GetDouble() == 0.0);
    BOOST_TEST(s["p99_ms"][9].GetDouble() == 8, boost::test_tools::tolerance(0.06));
    // An empty slot: no request per second, no rate, no percentile.
    BOOST_TEST(s["requests_per_second"][0].GetDouble() == 0.0);
    BOOST_TEST(s["error_rate"][0].IsNull());
    BOOST_TEST(s["p99_ms"][0].IsNull());
    // An idle channel has its series too.
    BOOST_TEST(d["channels"][1]["series"]["requests_per_second"].Size() == 10u);
    BOOST_TEST(d["channels"][1]["series"]["p99_ms"][9].IsNull());

    // The next slot boundary moves every point one to the left.
    auto next = series_at(2'000);
    const auto& n = next["channels"][0]["series"];
    BOOST_TEST(n["requests_per_second"][7].GetDouble() == 3.0);
    BOOST_TEST(n["requests_per_second"][8].GetDouble() == 1.0);
    BOOST_TEST(n["requests_per_second"][9].GetDouble() == 0.0);
    BOOST_TEST(n["error_rate"][9].IsNull());

    // The first slot is in the window until 10 000, as the totals say.
    auto last = series_at(9'999);
    BOOST_TEST(last["channels"][0]["series"]["requests_per_second"][0].GetDouble() == 3.0);
    auto gone = series_at(10'000);
    BOOST_TEST(gone["channels"][0]["requests"].GetUint64() == 1u);
    BOOST_TEST(gone["channels"][0]["series"]["requests_per_second"][0].GetDouble() == 1.0);
    double sum = 0;
    for (const auto& v : gone["channels"][0]["series"]["requests_per_second"].GetArray())
        sum += v.GetDouble();
    BOOST_TEST(sum == 1.0);
}

// Requests per second are a slot's count over the slot's length.
BOOST_AUTO_TEST_CASE(the_series_rate_is_per_second_of_a_slot) {
    ManualClock clock(0);
    DashboardStats stats(std::chrono::minutes(5), 60, clock);
    for (int i = 0; i < 10; ++i) stats.record("form", ok(1));
    auto d = parse(stats.to_json({"form"}, AlertThresholds{}));
    BOOST_TEST(d["slot_seconds"].GetDouble() == 5.0);
    const auto& s = d["channels"][0]["series"];
    BOOST_REQUIRE_EQUAL(s["requests_per_second"].Size(), 60u);
    BOOST_TEST(s["offset_seconds"][0].GetDouble() == -295.0);
    BOOST_TEST(s["requests_per_second"][59].GetDouble() == 2.0);
}

BOOST_AUTO_TEST_CASE(quarantine_is_shown_only_when_given) {
    ManualClock clock(0);
    DashboardStats stats(std::chrono::seconds(10), 10, clock);
    auto without = parse(stats.to_json({"form", "sms"}, AlertThresholds{}));
    BOOST_TEST(!without["channels"][0].HasMember("quarantine"));
    const std::map<std::string, QuarantineSummary> q{{"sms", {2, 3600.5}}};
    auto with = parse(stats.to_json({"form", "sms"}, AlertThresholds{}, &q));
    const auto& form = with["channels"][0]["quarantine"];
    BOOST_TEST(form["pending"].GetUint64() == 0u);
    BOOST_TEST(form["oldest_age_seconds"].IsNull());
    const auto& sms = with["channels"][1]["quarantine"];
    BOOST_TEST(sms["pending"].GetUint64() == 2u);
    BOOST_TEST(sms["oldest_age_seconds"].GetDouble() == 3600.5);
}

BOOST_AUTO_TEST_CASE(the_spool_and_its_age_alert) {
    ManualClock clock(0);
    DashboardStats stats(std::chrono::seconds(10), 10, clock);
    AlertThresholds limits;
    limits.spool_age_ms = 60000;
    auto without = parse(stats.to_json({"form"}, limits));
    BOOST_TEST(without["spool"].IsNull());
    BOOST_TEST(without["thresholds"]["spool_age_seconds"].GetDouble() == 60.0);
    BOOST_TEST(without["alerts"].Size() == 0u);

    const SpoolSummary empty{0, -1, 0, 65536};
    auto idle = parse(stats.to_json({"form"}, limits, nullptr, &empty));
    BOOST_TEST(idle["spool"]["depth"].GetInt64() == 0);
    BOOST_TEST(idle["spool"]["oldest_age_seconds"].IsNull());
    BOOST_TEST(idle["spool"]["max_bytes"].GetUint64() == 65536u);
    BOOST_TEST(idle["alerts"].Size() == 0u);

    const SpoolSummary young{3, 59.5, 4096, 65536};
    auto below = parse(stats.to_json({"form"}, limits, nullptr, &young));
    BOOST_TEST(below["spool"]["depth"].GetInt64() == 3);
    BOOST_TEST(below["spool"]["oldest_age_seconds"].GetDouble() == 59.5);
    BOOST_TEST(below["spool"]["bytes"].GetUint64() == 4096u);
    BOOST_TEST(below["alerts"].Size() == 0u);

    const SpoolSummary old{3, 61.25, 4096, 65536};
    auto above = parse(stats.to_json({"form"}, limits, nullptr, &old));
    BOOST_REQUIRE_EQUAL(above["alerts"].Size(), 1u);
    const auto& alert = above["alerts"][0];
    BOOST_TEST(std::string(alert["alert"].GetString()) == "spool_not_empty");
    BOOST_TEST(!alert.HasMember("channel"));
    BOOST_TEST(alert["value"].GetDouble() == 61.25);
    BOOST_TEST(alert["threshold"].GetDouble() == 60.0);
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
