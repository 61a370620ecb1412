// End to end, plugins of released ABIs in today's host: tests/abi/frozen_1_0_plugin and
// frozen_1_1_plugin, each built out of tree against its frozen header alone (the CTest fixtures
// abi_frozen_*_build), loaded by the real gateway and served over HTTP. The 1.0 plugin has no
// answer hook: it gets the host's answers, and the host's content-type refusal. The 1.1 plugin
// shapes its answers, with the host's HMAC.
#define BOOST_TEST_MODULE e2e_abi
#include <filesystem>
#include <string>

#include <boost/test/unit_test.hpp>

#include "support/database.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"

using namespace memolib::test;

namespace {

namespace fs = std::filesystem;

constexpr const char* kPath = "/webhooks/legacy";

struct FrozenPluginFixture : GatewayFixture {
    FrozenPluginFixture() {
        const fs::path plugins = dir / "plugins";
        fs::create_directories(plugins);
        for (const char* version : {"1_0", "1_1"}) {
            const std::string name = std::string("frozen_") + version;
            const fs::path built =
                fs::path(MEMOLIB_BINARY_DIR) / "tests/abi" / name / (name + ".so");
            BOOST_REQUIRE_MESSAGE(fs::exists(built), built << " is missing: the CTest fixture "
                                                              "abi_"
                                                           << name << "_build builds it");
            fs::copy_file(built, plugins / (name + ".so"));
        }
        config.plugins_directory = plugins;
        config.channels = {{"legacy", {{"plugin", "frozen_1_0"}}},
                           {"shaped", {{"plugin", "frozen_1_1"}}}};
        start();
    }

    long long count() const { return database()->scalar("SELECT COUNT(*) FROM messages"); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(abi_1_0, FrozenPluginFixture)

BOOST_AUTO_TEST_CASE(a_1_0_plugin_is_stored_and_answered_with_the_host_s_json) {
    const auto first = http_post(port, kPath, "text/plain", "built against SDK 1.0");
    BOOST_TEST_INFO("answer: " << first.body);
    BOOST_REQUIRE_EQUAL(first.status, 200);
    BOOST_TEST(first.header("Content-Type").value_or("") == "application/json");
    BOOST_TEST(string_member(parse_json(first.body), "status") == "stored");
    BOOST_TEST(count() == 1);
    const auto rows = database()->query("SELECT provider, text FROM messages");
    BOOST_REQUIRE_EQUAL(rows.size(), 1U);
    BOOST_TEST(rows[0].at("provider").value_or("") == "frozen");
    BOOST_TEST(rows[0].at("text").value_or("") == "built against SDK 1.0");
}

BOOST_AUTO_TEST_CASE(its_re_delivery_is_the_host_s_2xx_duplicate) {
    BOOST_REQUIRE_EQUAL(http_post(port, kPath, "text/plain", "sent twice").status, 200);
    const auto again = http_post(port, kPath, "text/plain", "sent twice");
    BOOST_TEST_INFO("answer: " << again.body);
    BOOST_TEST(again.status == 200);
    BOOST_TEST(string_member(parse_json(again.body), "status") == "duplicate");
    BOOST_TEST(count() == 1);
}

BOOST_AUTO_TEST_CASE(a_media_type_it_did_not_declare_is_415_before_parse) {
    check_error(http_post(port, kPath, "application/json", R"({"text":"hello"})"), 415,
                "unsupported_media_type");
    BOOST_TEST(count() == 0);
}

BOOST_AUTO_TEST_CASE(a_1_1_plugin_shapes_its_answers_with_the_host_s_hmac) {
    // The plugin answers "<outcome> " and the first 16 hex digits of
    // HMAC-SHA256("frozen", body), computed here apart from the host.
    const auto first = http_post(port, "/webhooks/shaped", "text/plain", "built against SDK 1.1");
    BOOST_TEST(first.status == 200);
    BOOST_TEST(first.header("Content-Type").value_or("") == "text/plain");
    BOOST_TEST(first.body == "stored ad184bd062c81263");
    const auto again = http_post(port, "/webhooks/shaped", "text/plain", "built against SDK 1.1");
    BOOST_TEST(again.status == 200);
    BOOST_TEST(again.body == "duplicate ad184bd062c81263");
    BOOST_TEST(count() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
