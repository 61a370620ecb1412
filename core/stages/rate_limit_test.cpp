#include <boost/test/unit_test.hpp>

#include "stages/stages.hpp"
#include "stages/test_config.hpp"

using namespace memolib::core;

namespace {

// The rate_limit and sender_rate_limit stages over the memory windows the factory makes.
struct RateLimitStages {
    RateLimitStages() {
        const ConfigValue pipeline = validated_pipeline();
        RateLimitFactory().make_state(pipeline, state);
        const StageContext context{nullptr, nullptr, &state};
        per_request = RateLimitFactory().make(pipeline, context);
        per_sender = SenderRateLimitFactory().make(pipeline, context);
    }
    StageState state;
    std::unique_ptr<Stage> per_request;
    std::unique_ptr<Stage> per_sender;
};

std::shared_ptr<const Channel> limited(const std::string& key, std::uint32_t requests) {
    auto channel = std::make_shared<Channel>();
    channel->config.name = "form";
    channel->config.rate_key = key;
    channel->config.rate_requests = requests;
    channel->config.rate_window_ms = 3600000;
    return channel;
}

Exchange request(const std::shared_ptr<const Channel>& channel, const std::string& ip,
                 std::vector<std::string> senders = {}) {
    Exchange ex;
    ex.channel = channel;
    ex.remote_address = ip;
    ex.received_at_ms = 1000;
    for (std::string& s : senders) {
        NormalizedMessage m;
        m.sender = std::move(s);
        ex.messages.push_back(std::move(m));
    }
    return ex;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(rate_limit_stages, RateLimitStages)

BOOST_AUTO_TEST_CASE(an_ip_key_is_counted_from_the_headers_and_answered_429_with_retry_after) {
    const auto channel = limited("ip", 2);
    for (int i = 0; i < 2; ++i) {
        Exchange ex = request(channel, "192.0.2.1");
        BOOST_TEST((per_request->on_headers(ex) == StageResult::kContinue));
    }
    Exchange other_ip = request(channel, "192.0.2.2");
    BOOST_TEST((per_request->on_headers(other_ip) == StageResult::kContinue));
    Exchange third = request(channel, "192.0.2.1");
    BOOST_TEST((per_request->on_headers(third) == StageResult::kRespond));
    BOOST_TEST(third.status == 429);
    BOOST_TEST(third.reason == "rate_limited");
    BOOST_REQUIRE_EQUAL(third.response_headers.size(), 1u);
    BOOST_TEST(third.response_headers[0].first == "Retry-After");
    // With the memory windows the count is taken at the headers, not again after the body.
    Exchange body_read = request(channel, "192.0.2.2");
    BOOST_TEST((per_request->process(body_read, Resume(nullptr, 0)) == StageResult::kContinue));
    BOOST_TEST(body_read.status == 0);
}

BOOST_AUTO_TEST_CASE(a_sender_key_is_left_to_sender_rate_limit_which_counts_each_sender_once) {
    const auto channel = limited("sender", 1);
    for (int i = 0; i < 3; ++i) {
        Exchange ex = request(channel, "192.0.2.1", {"jane@example.org"});
        BOOST_TEST((per_request->on_headers(ex) == StageResult::kContinue));
    }
    // A batch carrying one sender twice spends one request of that sender's budget.
    Exchange first = request(channel, "192.0.2.1", {"jane@example.org", "jane@example.org"});
    BOOST_TEST((per_sender->process(first, Resume(nullptr, 0)) == StageResult::kContinue));
    Exchange other = request(channel, "192.0.2.1", {"paul@example.org"});
    BOOST_TEST((per_sender->process(other, Resume(nullptr, 0)) == StageResult::kContinue));
    Exchange again = request(channel, "192.0.2.3", {"jane@example.org"});
    BOOST_TEST((per_sender->process(again, Resume(nullptr, 0)) == StageResult::kRespond));
    BOOST_TEST(again.status == 429);
}

BOOST_AUTO_TEST_CASE(sender_rate_limit_leaves_ip_keys_and_unlimited_channels_alone) {
    const auto by_ip = limited("ip", 1);
    const auto unlimited = limited("sender", 0);
    for (int i = 0; i < 3; ++i) {
        Exchange ex = request(by_ip, "192.0.2.1", {"jane@example.org"});
        BOOST_TEST((per_sender->process(ex, Resume(nullptr, 0)) == StageResult::kContinue));
        Exchange free = request(unlimited, "192.0.2.1", {"jane@example.org"});
        BOOST_TEST((per_sender->process(free, Resume(nullptr, 0)) == StageResult::kContinue));
    }
}

BOOST_AUTO_TEST_SUITE_END()
