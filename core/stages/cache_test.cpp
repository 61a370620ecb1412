#include <boost/test/unit_test.hpp>

#include "stages/stages.hpp"
#include "stages/test_config.hpp"
#include "util/sha256.hpp"

using namespace memolib::core;

namespace {

// The replay and cache stages over the replay cache the cache factory makes.
struct ReplayStages {
    ReplayStages() {
        const ConfigValue pipeline = validated_pipeline();
        CacheFactory().make_state(pipeline, state);
        const StageContext context{nullptr, nullptr, &state};
        replay = ReplayFactory().make(pipeline, context);
        cache = CacheFactory().make(pipeline, context);
        channel->config.name = "form";
    }
    Exchange request(const std::string& body) const {
        Exchange ex;
        ex.channel = channel;
        ex.method = "POST";
        ex.content_type = "application/json";
        ex.body = body;
        ex.request_id = "req-" + std::to_string(++requests);
        return ex;
    }
    // What parse, dedup and persist leave behind for one stored message.
    static void store(Exchange& ex, const std::string& key) {
        NormalizedMessage m;
        m.provider = "form";
        m.sender_masked = "j***@example.org";
        m.dedup_key = sha256({key});
        m.status = NormalizedMessage::Status::kStored;
        ex.messages.push_back(m);
        ex.status = 200;
        ex.messages_json = R"([{"id":1}])";
    }
    StageState state;
    std::shared_ptr<Channel> channel = std::make_shared<Channel>();
    std::unique_ptr<Stage> replay;
    std::unique_ptr<Stage> cache;
    mutable int requests = 0;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(replay_and_cache_stages, ReplayStages)

BOOST_AUTO_TEST_CASE(a_byte_identical_retry_is_answered_by_replay_before_parse) {
    Exchange first = request("{\"a\":1}");
    BOOST_TEST((replay->process(first, Resume(nullptr, 0)) == StageResult::kContinue));
    BOOST_TEST(first.cache_checked);
    store(first, "k1");
    replay->on_complete(first);
    cache->on_complete(first);

    Exchange retry = request("{\"a\":1}");
    BOOST_TEST((replay->process(retry, Resume(nullptr, 0)) == StageResult::kRespond));
    BOOST_TEST(retry.status == 200);
    BOOST_TEST(retry.replayed);
    BOOST_TEST(retry.replay_provider == "form");
    BOOST_TEST(retry.response_body ==
               R"({"status":"stored","request_id":"req-2","replayed":true,"messages":[{"id":1}]})");

    Exchange other_bytes = request("{\"a\": 1}");
    BOOST_TEST((replay->process(other_bytes, Resume(nullptr, 0)) == StageResult::kContinue));
}

BOOST_AUTO_TEST_CASE(a_retry_with_other_bytes_but_the_same_messages_is_answered_by_cache) {
    Exchange first = request("{\"a\":1}");
    store(first, "k1");
    cache->on_complete(first);

    Exchange retry = request("{\"a\": 1}");
    store(retry, "k1");
    retry.status = 0;
    BOOST_TEST((cache->process(retry, Resume(nullptr, 0)) == StageResult::kRespond));
    BOOST_TEST(retry.replayed);
    BOOST_REQUIRE_EQUAL(retry.response_headers.size(), 1u);
    BOOST_TEST(retry.response_headers[0].first == "X-Idempotent-Replay");
}

BOOST_AUTO_TEST_CASE(a_dry_run_and_an_answer_that_stored_nothing_are_not_replayed) {
    Exchange dry = request("{\"a\":2}");
    dry.dry_run = true;
    BOOST_TEST((replay->process(dry, Resume(nullptr, 0)) == StageResult::kContinue));
    BOOST_TEST(!dry.cache_checked);
    store(dry, "k2");
    cache->on_complete(dry);

    Exchange duplicate = request("{\"a\":3}");
    BOOST_TEST((replay->process(duplicate, Resume(nullptr, 0)) == StageResult::kContinue));
    store(duplicate, "k3");
    duplicate.messages[0].status = NormalizedMessage::Status::kDuplicate;
    cache->on_complete(duplicate);

    for (const char* body : {"{\"a\":2}", "{\"a\":3}"}) {
        Exchange retry = request(body);
        BOOST_TEST((replay->process(retry, Resume(nullptr, 0)) == StageResult::kContinue), body);
    }
}

BOOST_AUTO_TEST_SUITE_END()
