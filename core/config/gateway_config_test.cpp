#include "config/gateway_config.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <boost/test/unit_test.hpp>

using namespace memolib::core;

namespace {

struct ConfigFile {
    explicit ConfigFile(const std::string& text) {
        path = (std::filesystem::temp_directory_path() /
                ("memolib_config_test_" + std::to_string(::getpid()) + "_" +
                 std::to_string(counter++) + ".yaml"))
                   .string();
        std::ofstream(path) << text;
    }
    ~ConfigFile() { std::remove(path.c_str()); }
    std::string path;
    static inline int counter = 0;
};

std::optional<GatewayConfig> load(const std::string& text, std::vector<ConfigError>& errors) {
    static const SchemaNode schema =
        parse_flat_schema("default_region: {type: string, default: FR, description: r}");
    static const PluginSchemaInfo form{&schema, 5 * 1024 * 1024};
    ConfigFile file(text);
    return load_config(
        file.path,
        [](const std::string&) {
            return [](const std::string& name) -> const PluginSchemaInfo* {
                return name == "form" ? &form : nullptr;
            };
        },
        errors);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gateway_config)

BOOST_AUTO_TEST_CASE(the_design_defaults_apply_to_a_minimal_file) {
    std::vector<ConfigError> errors;
    auto cfg = load("channels:\n  form: {plugin: form}\n", errors);
    BOOST_REQUIRE(cfg);
    BOOST_TEST(cfg->server.host == "127.0.0.1");
    BOOST_TEST(cfg->server.port == 8080);
    BOOST_TEST(cfg->server.header_timeout_ms == 10000u);
    BOOST_TEST(cfg->storage.backend == "sqlite");
    BOOST_TEST(cfg->storage.batch_max_messages == 256);
    BOOST_TEST(cfg->storage.batch_max_delay_ms == 2u);
    BOOST_REQUIRE_EQUAL(cfg->channels.size(), 1u);
    BOOST_TEST(cfg->channels[0].max_body == 5u * 1024 * 1024);
    // Unset: each provider gets its plugin's answer (200, or 409 where a person reads it).
    BOOST_TEST(cfg->channels[0].duplicate_status == 0);
    BOOST_TEST(cfg->channels[0].block.get("default_region") == "FR");
    const std::vector<std::string> all = {
        "size_limit",        "rate_limit", "verify", "replay", "parse",
        "sender_rate_limit", "enrich",     "dedup",  "cache",  "persist"};
    BOOST_TEST(cfg->stages == all, boost::test_tools::per_element());
    BOOST_TEST(cfg->stages_as_written.empty());
}

BOOST_AUTO_TEST_CASE(channel_keys_override_and_plugin_keys_validate) {
    std::vector<ConfigError> errors;
    auto cfg = load(
        "server: {listen: \"[::1]:0\"}\nchannels:\n  web: {plugin: form, max_body: 1KiB, "
        "default_region: BE}\n",
        errors);
    BOOST_REQUIRE(cfg);
    BOOST_TEST(cfg->server.host == "::1");
    BOOST_TEST(cfg->server.port == 0);
    BOOST_TEST(cfg->channels[0].name == "web");
    BOOST_TEST(cfg->channels[0].max_body == 1024u);
    BOOST_TEST(cfg->channels[0].block.get("default_region") == "BE");
}

BOOST_AUTO_TEST_CASE(an_unknown_key_in_a_channel_names_file_line_and_key) {
    std::vector<ConfigError> errors;
    auto cfg = load("channels:\n  form:\n    plugin: form\n    colour: blue\n", errors);
    BOOST_TEST(!cfg);
    BOOST_REQUIRE_EQUAL(errors.size(), 1u);
    BOOST_TEST(errors[0].mark.line == 4);
    BOOST_TEST(errors[0].key == "channels.form.colour");
}

BOOST_AUTO_TEST_CASE(a_missing_plugin_is_an_error) {
    std::vector<ConfigError> errors;
    auto cfg = load("channels:\n  fax: {plugin: fax}\n", errors);
    BOOST_TEST(!cfg);
    BOOST_REQUIRE_EQUAL(errors.size(), 1u);
    BOOST_TEST(errors[0].message.find("no plugin named 'fax'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_stage_order_that_cannot_work_is_refused) {
    std::vector<ConfigError> errors;
    BOOST_TEST(!load("pipeline: {stages: [parse, verify, dedup, persist]}\n", errors));
    BOOST_TEST(errors.at(0).message.find("cannot run after") != std::string::npos);
    errors.clear();
    BOOST_TEST(!load("pipeline: {stages: [verify, parse]}\n", errors));
    BOOST_TEST(errors.at(0).message.find("'persist' is required") != std::string::npos);
    errors.clear();
    BOOST_TEST(
        !load("pipeline: {stages: [size_limit, teleport, parse, dedup, persist]}\n", errors));
    BOOST_TEST(!errors.empty());
}

BOOST_AUTO_TEST_CASE(the_eight_stage_list_of_old_runs_replay_and_sender_rate_limit_as_it_did) {
    std::vector<ConfigError> errors;
    auto cfg = load(
        "pipeline: {stages: [size_limit, rate_limit, verify, parse, enrich, dedup, cache, "
        "persist]}\n",
        errors);
    BOOST_REQUIRE(cfg);
    const std::vector<std::string> runs = {
        "size_limit",        "rate_limit", "verify", "replay", "parse",
        "sender_rate_limit", "enrich",     "dedup",  "cache",  "persist"};
    BOOST_TEST(cfg->stages == runs, boost::test_tools::per_element());
    const std::vector<std::string> written = {"size_limit", "rate_limit", "verify", "parse",
                                              "enrich",     "dedup",      "cache",  "persist"};
    BOOST_TEST(cfg->stages_as_written == written, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_old_list_gains_only_the_steps_its_stages_used_to_run) {
    std::vector<ConfigError> errors;
    auto cfg = load("pipeline: {stages: [verify, parse, dedup, cache, persist]}\n", errors);
    BOOST_REQUIRE(cfg);
    const std::vector<std::string> with_replay = {"verify", "replay", "parse",
                                                  "dedup",  "cache",  "persist"};
    BOOST_TEST(cfg->stages == with_replay, boost::test_tools::per_element());
    cfg = load("pipeline: {stages: [rate_limit, parse, dedup, persist]}\n", errors);
    BOOST_REQUIRE(cfg);
    const std::vector<std::string> with_senders = {"rate_limit", "parse", "sender_rate_limit",
                                                   "dedup", "persist"};
    BOOST_TEST(cfg->stages == with_senders, boost::test_tools::per_element());
    // Nothing to add: nothing noted.
    cfg = load("pipeline: {stages: [verify, parse, dedup, persist]}\n", errors);
    BOOST_REQUIRE(cfg);
    BOOST_TEST(cfg->stages_as_written.empty());
}

BOOST_AUTO_TEST_CASE(a_list_naming_a_new_step_runs_as_written) {
    std::vector<ConfigError> errors;
    auto cfg = load(
        "pipeline: {stages: [size_limit, verify, parse, sender_rate_limit, dedup, cache, "
        "persist]}\n",
        errors);
    BOOST_REQUIRE(cfg);
    const std::vector<std::string> written = {"size_limit", "verify", "parse",  "sender_rate_limit",
                                              "dedup",      "cache",  "persist"};
    BOOST_TEST(cfg->stages == written, boost::test_tools::per_element());
    BOOST_TEST(cfg->stages_as_written.empty());
}

BOOST_AUTO_TEST_CASE(the_new_steps_have_order_rules_of_their_own) {
    std::vector<ConfigError> errors;
    BOOST_TEST(
        !load("pipeline:\n  stages: [verify, sender_rate_limit, parse, dedup, persist]\n", errors));
    BOOST_REQUIRE(!errors.empty());
    BOOST_TEST(errors[0].key == "pipeline.stages[2]");
    BOOST_TEST(errors[0].mark.line == 2);
    BOOST_TEST(errors[0].message.find("'parse' cannot run after 'sender_rate_limit'") !=
               std::string::npos);
    errors.clear();
    BOOST_TEST(!load("pipeline: {stages: [verify, replay, parse, dedup, persist]}\n", errors));
    BOOST_REQUIRE_EQUAL(errors.size(), 1u);
    BOOST_TEST(errors[0].message.find("'replay' needs 'cache'") != std::string::npos);
    errors.clear();
    BOOST_TEST(!load("pipeline: {stages: [parse, replay, dedup, cache, persist]}\n", errors));
    BOOST_REQUIRE_EQUAL(errors.size(), 1u);
    BOOST_TEST(errors[0].message.find("'replay' cannot run after 'parse'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrong_types_and_bad_yaml_are_located) {
    std::vector<ConfigError> errors;
    BOOST_TEST(!load("server:\n  threads: many\n", errors));
    BOOST_TEST(errors.at(0).key == "server.threads");
    BOOST_TEST(errors.at(0).mark.line == 2);
    errors.clear();
    BOOST_TEST(!load("server: {listen: [\n", errors));
    BOOST_TEST(errors.at(0).message.find("not valid YAML") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
