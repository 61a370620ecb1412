#include <boost/test/unit_test.hpp>

#include "stages/stages.hpp"
#include "stages/test_config.hpp"

using namespace memolib::core;

namespace {

std::shared_ptr<const Channel> channel_with_max_body(std::uint64_t max_body) {
    auto channel = std::make_shared<Channel>();
    channel->config.name = "form";
    channel->config.max_body = max_body;
    return channel;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(size_limit_stage)

BOOST_AUTO_TEST_CASE(a_declared_length_over_the_limit_is_413_before_the_body) {
    const auto stage = SizeLimitFactory().make(validated_pipeline(), StageContext{});
    Exchange ex;
    ex.channel = channel_with_max_body(10);
    ex.content_length = 10;
    BOOST_TEST((stage->on_headers(ex) == StageResult::kContinue));
    BOOST_TEST(ex.status == 0);
    ex.content_length = 11;
    BOOST_TEST((stage->on_headers(ex) == StageResult::kRespond));
    BOOST_TEST(ex.status == 413);
    BOOST_TEST(ex.reason == "payload_too_large");
}

BOOST_AUTO_TEST_CASE(a_body_of_unknown_length_is_measured_once_read) {
    const auto stage = SizeLimitFactory().make(validated_pipeline(), StageContext{});
    Exchange ex;
    ex.channel = channel_with_max_body(4);
    BOOST_TEST((stage->on_headers(ex) == StageResult::kContinue));
    ex.body = "1234";
    BOOST_TEST((stage->process(ex, Resume(nullptr, 0)) == StageResult::kContinue));
    ex.body = "12345";
    BOOST_TEST((stage->process(ex, Resume(nullptr, 0)) == StageResult::kRespond));
    BOOST_TEST(ex.status == 413);
}

BOOST_AUTO_TEST_SUITE_END()
