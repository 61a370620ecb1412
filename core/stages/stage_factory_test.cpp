#include <boost/test/unit_test.hpp>

#include "config/gateway_config.hpp"
#include "pipeline/pipeline.hpp"
#include "stages/stages.hpp"
#include "stages/test_config.hpp"
#include "storage/batch_writer.hpp"

using namespace memolib::core;

namespace {

const std::vector<std::string> kAll = {
    "size_limit",        "rate_limit", "verify", "replay", "parse",
    "sender_rate_limit", "enrich",     "dedup",  "cache",  "persist"};

std::vector<std::string> names_of(const std::vector<std::unique_ptr<Stage>>& stages) {
    std::vector<std::string> out;
    for (const auto& s : stages) out.emplace_back(s->name());
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stage_factory_table)

BOOST_AUTO_TEST_CASE(the_table_is_the_order_the_schema_lists_and_defaults_to) {
    std::vector<std::string> names;
    for (const StageFactory* f : stage_factories()) names.emplace_back(f->name());
    BOOST_TEST(names == kAll, boost::test_tools::per_element());
    const SchemaNode* stages = core_schema().property("pipeline")->property("stages");
    BOOST_REQUIRE(stages != nullptr);
    BOOST_TEST(stages->items->enum_values == kAll, boost::test_tools::per_element());
    BOOST_REQUIRE(stages->default_items);
    BOOST_TEST(*stages->default_items == kAll, boost::test_tools::per_element());
    BOOST_TEST(validated_pipeline().strings("stages") == kAll, boost::test_tools::per_element());
    // Each settings block is the factory's own.
    for (const char* key : {"rate_limit", "priority", "dedup", "cache"})
        BOOST_TEST(core_schema().property("pipeline")->property(key) != nullptr, key);
}

BOOST_AUTO_TEST_CASE(settings_come_from_the_schema_defaults_when_the_yaml_gives_none) {
    const ConfigValue pipeline = validated_pipeline();
    const auto rate = RateLimitFactory::settings(pipeline);
    BOOST_TEST(rate.backend == "memory");
    BOOST_TEST(rate.redis_url == "redis://127.0.0.1:6379");
    BOOST_TEST(rate.timeout_ms == 200u);
    BOOST_TEST(rate.max_keys == 100000u);
    const auto dedup = DedupFactory::settings(pipeline);
    BOOST_TEST(dedup.cache_entries == 100000u);
    BOOST_TEST(dedup.duplicate_status == 0);
    const auto cache = CacheFactory::settings(pipeline);
    BOOST_TEST(cache.max_entries == 1000u);
    BOOST_TEST(cache.ttl.count() == 60000);
    const auto enrich = EnrichFactory::settings(pipeline);
    const std::vector<std::string> high = {"urgent", "urgence", "asap", "au plus vite",
                                           "immédiatement"};
    BOOST_TEST(enrich.high == high, boost::test_tools::per_element());
    BOOST_TEST(enrich.low == std::vector<std::string>{"newsletter"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(settings_the_yaml_gives_replace_the_defaults_in_their_units) {
    const ConfigValue pipeline = validated_pipeline(
        "pipeline:\n  cache: {ttl: 2m}\n  dedup: {duplicate_status: 200}\n"
        "  priority: {high: [vite]}\n  rate_limit: {timeout: 1s}\n");
    BOOST_TEST(CacheFactory::settings(pipeline).ttl.count() == 120000);
    BOOST_TEST(CacheFactory::settings(pipeline).max_entries == 1000u);
    BOOST_TEST(DedupFactory::settings(pipeline).duplicate_status == 200);
    BOOST_TEST(EnrichFactory::settings(pipeline).high == std::vector<std::string>{"vite"},
               boost::test_tools::per_element());
    // A level the YAML leaves out keeps its default.
    BOOST_TEST(EnrichFactory::settings(pipeline).low == std::vector<std::string>{"newsletter"},
               boost::test_tools::per_element());
    BOOST_TEST(RateLimitFactory::settings(pipeline).timeout_ms == 1000u);
}

BOOST_AUTO_TEST_CASE(every_stage_is_built_in_the_order_listed_over_the_state_its_factory_made) {
    const ConfigValue pipeline = validated_pipeline();
    StageState state;
    make_stage_states(pipeline, state);
    BOOST_REQUIRE(state.dedup_index);
    BOOST_REQUIRE(state.replay_cache);
    BOOST_REQUIRE(state.rate_limiter);
    BOOST_TEST(state.rate_limiter->synchronous());
    BatchWriter writer(StorageConfig{}, RetryPolicy{});
    const StageContext context{&writer, nullptr, &state};
    BOOST_TEST(names_of(build_stages(kAll, pipeline, context)) == kAll,
               boost::test_tools::per_element());
    const std::vector<std::string> some = {"verify", "parse", "sender_rate_limit", "dedup",
                                           "persist"};
    BOOST_TEST(names_of(build_stages(some, pipeline, context)) == some,
               boost::test_tools::per_element());
    BOOST_CHECK_THROW(build_stages({"teleport"}, pipeline, context), std::invalid_argument);
    // Persist cannot be built without the storage writer.
    BOOST_CHECK_THROW(build_stages({"persist"}, pipeline, StageContext{nullptr, nullptr, &state}),
                      std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(the_settings_that_size_a_stage_state_are_the_ones_a_reload_cannot_change) {
    std::vector<std::string> keys;
    for (const StageFactory* f : stage_factories()) {
        for (const std::string& k : f->restart_keys()) keys.push_back(k);
    }
    const std::vector<std::string> expected = {"pipeline.rate_limit",
                                               "pipeline.dedup.cache_entries", "pipeline.cache"};
    BOOST_TEST(keys == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
