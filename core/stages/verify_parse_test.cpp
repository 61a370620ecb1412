// The verify and parse stages over the loader tests' plugin (tests/loader_fixtures/good.so):
// it verifies every body but those starting with "forged" and parses a body into one message.
#include <boost/test/unit_test.hpp>

#include "plugins/plugin_registry.hpp"
#include "stages/stages.hpp"
#include "stages/test_config.hpp"

using namespace memolib::core;

namespace {

struct EchoChannel {
    EchoChannel() {
        BOOST_REQUIRE(!registry.load_file(std::string(MEMOLIB_BINARY_DIR) +
                                          "/tests/loader_fixtures/good.so"));
        ConfigValue block;
        block.kind = ConfigValue::Kind::kMap;
        std::vector<FieldError> errors;
        instance = ChannelInstance::create(registry.find("echo"), "echo", block, errors);
        BOOST_REQUIRE(instance);
    }
    std::shared_ptr<const Channel> channel(const std::string& verify_mode) const {
        auto c = std::make_shared<Channel>();
        c->config.name = "echo";
        c->config.verify_mode = verify_mode;
        c->instance = instance;
        return c;
    }
    static Exchange request(const std::shared_ptr<const Channel>& channel,
                            const std::string& body) {
        Exchange ex;
        ex.channel = channel;
        ex.method = "POST";
        ex.path = "/webhooks/echo";
        ex.body = body;
        ex.request_id = "req-1";
        ex.received_at_ms = 1234;
        return ex;
    }
    PluginRegistry registry;
    std::shared_ptr<ChannelInstance> instance;
    const std::unique_ptr<Stage> verify = VerifyFactory().make(validated_pipeline(), {});
    const std::unique_ptr<Stage> parse = ParseFactory().make(validated_pipeline(), {});
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(verify_and_parse_stages, EchoChannel)

BOOST_AUTO_TEST_CASE(enforce_answers_401_to_a_request_the_plugin_does_not_verify) {
    Exchange signed_request = request(channel("enforce"), "hello");
    BOOST_TEST((verify->process(signed_request, Resume(nullptr, 0)) == StageResult::kContinue));
    Exchange forged = request(channel("enforce"), "forged hello");
    BOOST_TEST((verify->process(forged, Resume(nullptr, 0)) == StageResult::kRespond));
    BOOST_TEST(forged.status == 401);
    BOOST_TEST(forged.reason == "verification_failed");
}

BOOST_AUTO_TEST_CASE(report_lets_it_through_marked_and_off_does_not_ask) {
    Exchange reported = request(channel("report"), "forged hello");
    BOOST_TEST((verify->process(reported, Resume(nullptr, 0)) == StageResult::kContinue));
    BOOST_TEST(reported.status == 0);
    BOOST_TEST((reported.authenticity == Authenticity::kFailed));
    Exchange unchecked = request(channel("off"), "forged hello");
    BOOST_TEST((verify->process(unchecked, Resume(nullptr, 0)) == StageResult::kContinue));
    BOOST_TEST((unchecked.authenticity == Authenticity::kNotFailed));
}

BOOST_AUTO_TEST_CASE(parse_stamps_each_message_with_what_the_core_owns) {
    Exchange ex = request(channel("enforce"), "bonjour");
    BOOST_TEST((parse->process(ex, Resume(nullptr, 0)) == StageResult::kContinue));
    BOOST_REQUIRE_EQUAL(ex.messages.size(), 1u);
    const NormalizedMessage& m = ex.messages[0];
    BOOST_TEST(m.text == "bonjour");
    BOOST_TEST(m.provider == "test");
    BOOST_TEST(m.channel == "echo");
    BOOST_TEST(m.request_id == "req-1");
    BOOST_TEST(m.received_at_ms == 1234);
}

BOOST_AUTO_TEST_SUITE_END()
