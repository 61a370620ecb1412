// End-to-end tests of plugin loading and of the command line: a plugins directory that also
// holds files that are not loadable plugins (each must be refused with one log line, without
// a crash, while the form channel keeps serving), and `validate` / start-up failures that
// must name the line and key at fault.
#define BOOST_TEST_MODULE e2e_plugins
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"

using namespace memolib::test;
namespace fs = std::filesystem;

namespace {

std::string form_json(const std::string& tag) {
    return R"({"name":"Jeanne Martin","email":"jeanne.)" + tag +
           R"(@example.org","subject":"Bonjour","message":"Un message )" + tag + R"("})";
}

std::string random_bytes(std::size_t size) {
    std::mt19937 generator(12345);
    std::string out(size, '\0');
    for (char& c : out) {
        c = static_cast<char>(generator() & 0xff);
    }
    return out;
}

/// A plugins directory holding a copy of the real form.so (a copy, so that a loader that
/// skips symlinks still finds it) plus the given extra files.
fs::path make_plugins_dir(const fs::path& root) {
    fs::path dir = root / "plugins";
    fs::create_directories(dir);
    fs::copy_file(plugins_build_directory() / "form.so", dir / "form.so");
    return dir;
}

void add_fixture(const fs::path& plugins_dir, const std::string& name) {
    const fs::path built = loader_fixtures_directory() / (name + ".so");
    BOOST_REQUIRE_MESSAGE(fs::exists(built), built << " was not built");
    fs::copy_file(built, plugins_dir / (name + ".so"));
}

/// The plugin_refused lines of the log, by the file name they name.
std::map<std::string, LogEvent> refusals(const GatewayProcess& gateway) {
    std::map<std::string, LogEvent> out;
    for (const auto& event : gateway.events()) {
        if (event.get("event") == "plugin_refused") {
            out[fs::path(event.get("file")).filename().string()] = event;
        }
    }
    return out;
}

void check_form_serves(std::uint16_t port) {
    const auto response =
        http_post(port, "/webhooks/form", "application/json", form_json(random_hex(10)));
    BOOST_TEST(response.status == 200, "form channel: " << response.status << " " << response.body);
}

/// The line (1-based) of the first occurrence of `needle` in `text`.
int line_of(const std::string& text, const std::string& needle) {
    const auto position = text.find(needle);
    BOOST_REQUIRE(position != std::string::npos);
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + position, '\n'));
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(junk_and_wrong_abi_files_are_refused_and_form_still_serves,
                        GatewayFixture) {
    const fs::path plugins = make_plugins_dir(dir.path());
    write_file(plugins / "junk.so", random_bytes(4096));
    add_fixture(plugins, "wrong_abi");
    config.plugins_directory = plugins;
    // `-c FILE` alone: serve is the default command.
    start({"-c"});

    const auto refused = refusals(*gateway);
    for (const char* file : {"junk.so", "wrong_abi.so"}) {
        BOOST_TEST_CONTEXT("file " << file) {
            const auto it = refused.find(file);
            BOOST_TEST((it != refused.end()), "no plugin_refused line names " << file);
            if (it != refused.end()) {
                BOOST_TEST(!it->second.get("reason").empty(), "no reason: " << it->second.raw);
                BOOST_TEST(it->second.get("file").find(file) != std::string::npos);
            }
        }
    }
    BOOST_TEST(refused.count("form.so") == 0U, "the real plugin was refused");
    check_form_serves(port);
}

BOOST_FIXTURE_TEST_CASE(every_kind_of_broken_plugin_is_refused_without_a_crash, GatewayFixture) {
    const fs::path plugins = make_plugins_dir(dir.path());
    write_file(plugins / "empty.so", "");
    write_file(plugins / "text.so", "this is not an ELF file\n");
    add_fixture(plugins, "no_entry");
    add_fixture(plugins, "wrong_size");
    add_fixture(plugins, "wrong_abi");
    config.plugins_directory = plugins;
    start();

    const auto refused = refusals(*gateway);
    for (const char* file :
         {"empty.so", "text.so", "no_entry.so", "wrong_size.so", "wrong_abi.so"}) {
        BOOST_TEST(refused.count(file) == 1U, "no plugin_refused line names " << file);
    }
    BOOST_TEST(refused.count("form.so") == 0U, "the real plugin was refused");
    check_form_serves(port);
}

// A third-party plugin may answer its handshake with any integer: a 1xx would leave the
// client waiting for a final answer on a connection the server thinks is done, and 1000 or a
// negative number cannot be written in a status line. Each is a 500 plugin_error instead, on
// the same kept-alive connection, and a real status still goes through.
BOOST_FIXTURE_TEST_CASE(a_handshake_status_that_is_no_final_answer_is_a_plugin_error,
                        GatewayFixture) {
    const fs::path plugins = make_plugins_dir(dir.path());
    add_fixture(plugins, "odd_handshake");
    config.plugins_directory = plugins;
    config.channels.push_back({"odd", {{"plugin", "odd_handshake"}}});
    start();

    HttpConnection connection(port, std::chrono::seconds(5));
    auto get = [&](const std::string& status) {
        connection.send_all("GET /webhooks/odd?status=" + status +
                            " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        return connection.read_response(/*keep_interim=*/true);
    };
    for (const char* status : {"101", "100", "199", "1000", "-1", "600"}) {
        BOOST_TEST_CONTEXT("handshake status " << status) {
            check_error(get(status), 500, "plugin_error");
        }
    }
    const HttpResponse fine = get("202");
    BOOST_TEST(fine.status == 202);
    BOOST_TEST(fine.body == "odd");
}

// Two files declaring one plugin name at start: neither serves it, whichever sorts first, and
// start, `validate` and `plugins` all say so naming both files (docs/operations.md).
BOOST_FIXTURE_TEST_CASE(two_files_declaring_one_name_are_both_refused_at_start, GatewayFixture) {
    const fs::path built = loader_fixtures_directory() / "duplicate_name.so";
    BOOST_REQUIRE_MESSAGE(fs::exists(built), built << " was not built");
    for (const char* intruder : {"aaa.so", "zzz.so"}) {
        BOOST_TEST_CONTEXT("a second \"form\" in " << intruder) {
            const fs::path root = dir / fs::path(intruder).stem();
            const fs::path plugins = make_plugins_dir(root);
            fs::copy_file(built, plugins / intruder);
            config.plugins_directory = plugins;
            write_file(config_file(), config.to_yaml());
            const std::string both =
                "declared by 2 files (" +
                (std::string(intruder) < "form.so"
                     ? (plugins / intruder).string() + ", " + (plugins / "form.so").string()
                     : (plugins / "form.so").string() + ", " + (plugins / intruder).string()) +
                ")";

            const auto validate = run_process(
                {gateway_binary().string(), "validate", "-c", config_file().string()}, dir.path());
            BOOST_TEST_INFO("validate stderr:\n" << validate.err);
            BOOST_TEST((validate.status.exited && validate.status.code == 1),
                       "validate " << validate.status.describe());
            BOOST_TEST(validate.err.find(both) != std::string::npos, "stderr says " << both);

            const auto listing =
                run_process({gateway_binary().string(), "plugins", "--directory", plugins.string()},
                            dir.path());
            BOOST_TEST_INFO("plugins stdout:\n"
                            << listing.out << "plugins stderr:\n"
                            << listing.err);
            BOOST_TEST((listing.status.exited && listing.status.code == 1),
                       "plugins " << listing.status.describe());
            BOOST_TEST(listing.err.find(both) != std::string::npos, "stderr says " << both);
            BOOST_TEST(listing.out.find("form ") == std::string::npos, "a form plugin is listed");

            expect_clean_exit = false;
            launch();
            const ExitStatus status = gateway->wait_for_exit(std::chrono::seconds(60));
            BOOST_TEST_INFO("serve log:\n" << gateway->log());
            BOOST_TEST((status.exited && status.code == 1), "serve " << status.describe());
            const auto refused = refusals(*gateway);
            for (const std::string& file : {std::string("form.so"), std::string(intruder)}) {
                const auto it = refused.find(file);
                BOOST_TEST_REQUIRE((it != refused.end()), "no plugin_refused line names " << file);
                BOOST_TEST(it->second.get("reason").find(both) != std::string::npos,
                           "reason: " << it->second.get("reason"));
            }
            for (const auto& event : gateway->events()) {
                BOOST_TEST(event.get("event") != "listening", "it listened");
            }
        }
    }
}

BOOST_FIXTURE_TEST_CASE(validate_accepts_the_test_config, GatewayFixture) {
    write_file(config_file(), config.to_yaml());
    const auto result = run_process(
        {gateway_binary().string(), "validate", "-c", config_file().string()}, dir.path());
    BOOST_TEST(result.status.clean(), "validate " << result.status.describe() << "; stderr:\n"
                                                  << result.err);
}

BOOST_FIXTURE_TEST_CASE(validate_names_the_line_of_an_unknown_key, GatewayFixture) {
    std::string yaml = config.to_yaml();
    const std::string anchor = "  threads: 2\n";
    yaml.insert(yaml.find(anchor) + anchor.size(), "  bogus_option: 12\n");
    write_file(config_file(), yaml);
    const int line = line_of(yaml, "bogus_option");

    const auto result = run_process(
        {gateway_binary().string(), "validate", "-c", config_file().string()}, dir.path());
    BOOST_TEST_INFO("stderr:\n" << result.err);
    BOOST_TEST((result.status.exited && result.status.code == 1),
               "validate " << result.status.describe());
    const std::string where = "gateway.yaml:" + std::to_string(line) + ":";
    BOOST_TEST(result.err.find(where) != std::string::npos, "stderr names " << where);
    BOOST_TEST(result.err.find("server.bogus_option") != std::string::npos,
               "stderr names the key server.bogus_option");
}

BOOST_FIXTURE_TEST_CASE(a_channel_naming_a_missing_plugin_fails_validate_and_start,
                        GatewayFixture) {
    config.channels.push_back({"sms", {{"plugin", "no_such_plugin"}, {"max_body", "50KiB"}}});
    write_file(config_file(), config.to_yaml());

    const auto result = run_process(
        {gateway_binary().string(), "validate", "-c", config_file().string()}, dir.path());
    BOOST_TEST_INFO("validate stderr:\n" << result.err);
    BOOST_TEST((result.status.exited && result.status.code == 1),
               "validate " << result.status.describe());
    BOOST_TEST(result.err.find("no_such_plugin") != std::string::npos,
               "stderr names the missing plugin");
    BOOST_TEST(result.err.find("channels.sms") != std::string::npos,
               "stderr names the key channels.sms…");

    expect_clean_exit = false;
    launch();
    const ExitStatus status = gateway->wait_for_exit(std::chrono::seconds(60));
    const std::string log = gateway->log();
    BOOST_TEST_INFO("serve log:\n" << log);
    BOOST_TEST((status.exited && status.code != 0 && !status.timed_out),
               "serve " << status.describe());
    BOOST_TEST(log.find("no_such_plugin") != std::string::npos, "the log names the plugin");
    for (const auto& event : gateway->events()) {
        BOOST_TEST(event.get("event") != "listening", "it listened before failing");
    }
}

BOOST_FIXTURE_TEST_CASE(the_shipped_configs_validate, GatewayFixture) {
    // config/*.yaml name ./build/release/plugins relative to the working directory: give
    // them one where that path leads to this build's plugins, whichever preset built it.
    fs::create_directories(dir / "build" / "release");
    fs::create_directory_symlink(plugins_build_directory(), dir / "build" / "release" / "plugins");
    fs::create_directories(dir / "data");
    for (const char* name : {"gateway.yaml", "gateway.postgres.yaml"}) {
        const fs::path file = source_directory() / "config" / name;
        const auto result =
            run_process({gateway_binary().string(), "validate", "-c", file.string()}, dir.path(),
                        std::chrono::seconds(60),
                        {{"MEMOLIB_DATABASE_URL", "postgresql://memolib@127.0.0.1:1/memolib"}});
        BOOST_TEST(result.status.clean(), name << ": validate " << result.status.describe()
                                               << "; stderr:\n"
                                               << result.err);
    }
}

BOOST_FIXTURE_TEST_CASE(version_and_help, GatewayFixture) {
    for (const char* flag : {"--version", "--help"}) {
        const auto result = run_process({gateway_binary().string(), flag}, dir.path());
        BOOST_TEST_INFO(flag << " stderr: " << result.err);
        BOOST_TEST(result.status.clean(), flag << " " << result.status.describe());
        BOOST_TEST(!result.out.empty(), flag << " printed nothing on stdout");
    }
}

namespace {

constexpr const char* kAdminToken = "e2e-admin-token-3b9d";

/// The real form.so cut where a copy in progress leaves it: in its first page, in its code,
/// and one byte short of its end (the section header table is its last part).
std::vector<std::pair<std::string, std::size_t>> truncations() {
    const auto size =
        static_cast<std::size_t>(fs::file_size(plugins_build_directory() / "form.so"));
    return {{"cut_4k.so", 4096}, {"cut_64k.so", 65536}, {"cut_short.so", size - 1}};
}

/// Writes the first `size` bytes of the real form.so to `file` as a new file (a new inode, as a
/// copy does: rewriting a library a running process has mapped is another failure).
void write_truncated_form(const fs::path& file, std::size_t size) {
    const std::string whole = read_file(plugins_build_directory() / "form.so");
    BOOST_REQUIRE_GT(whole.size(), size);
    fs::remove(file);
    write_file(file, std::string_view(whole).substr(0, size));
}

void check_not_signalled(const ExitStatus& status, const std::string& what) {
    BOOST_TEST((status.exited && !status.timed_out && status.signal == 0),
               what << " " << status.describe());
}

/// The plugin_refused line naming `file`, after a reload logged it (bounded wait).
bool wait_for_refusal(const GatewayProcess& gateway, const std::string& file) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        if (refusals(gateway).count(file) == 1U) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace

// A plugin copied into the directory while the copy is still in progress is refused as
// truncated, with one log line each; the complete plugins load and serve.
BOOST_FIXTURE_TEST_CASE(truncated_plugin_files_are_refused_and_serve_starts, GatewayFixture) {
    const fs::path plugins = make_plugins_dir(dir.path());
    for (const auto& [name, size] : truncations()) write_truncated_form(plugins / name, size);
    config.plugins_directory = plugins;
    start();

    const auto refused = refusals(*gateway);
    for (const auto& [name, size] : truncations()) {
        BOOST_TEST_CONTEXT("file " << name << " (" << size << " bytes)") {
            const auto it = refused.find(name);
            BOOST_TEST_REQUIRE((it != refused.end()), "no plugin_refused line names " << name);
            BOOST_TEST(it->second.get("reason").find("truncated") != std::string::npos,
                       "reason: " << it->second.get("reason"));
        }
    }
    BOOST_TEST(refused.count("form.so") == 0U, "the real plugin was refused");
    check_form_serves(port);
}

// A channel naming a plugin whose file is refused fails the start as a missing plugin does:
// an exit with a message, never a signal.
BOOST_FIXTURE_TEST_CASE(a_channel_on_a_truncated_plugin_fails_start_without_a_signal,
                        GatewayFixture) {
    const fs::path plugins = dir / "plugins";
    fs::create_directories(plugins);
    write_truncated_form(plugins / "form.so", 65536);
    config.plugins_directory = plugins;
    expect_clean_exit = false;
    launch();
    const ExitStatus status = gateway->wait_for_exit(std::chrono::seconds(60));
    BOOST_TEST_INFO("serve log:\n" << gateway->log());
    check_not_signalled(status, "serve");
    BOOST_TEST(status.code != 0);
    const auto refused = refusals(*gateway);
    BOOST_TEST_REQUIRE(refused.count("form.so") == 1U);
    BOOST_TEST(refused.at("form.so").get("reason").find("truncated") != std::string::npos);
    BOOST_TEST(gateway->log().find("no plugin named 'form'") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(validate_plugins_and_plugin_check_refuse_a_truncated_file, GatewayFixture) {
    const fs::path plugins = dir / "plugins";
    fs::create_directories(plugins);
    config.plugins_directory = plugins;
    write_file(config_file(), config.to_yaml());
    const fs::path plugin_check = gateway_binary().parent_path() / "memolib-plugin-check";
    BOOST_REQUIRE_MESSAGE(fs::exists(plugin_check), plugin_check << " was not built");
    for (const auto& [name, size] : truncations()) {
        BOOST_TEST_CONTEXT("form.so cut at " << size << " bytes") {
            write_truncated_form(plugins / "form.so", size);

            const auto validate = run_process(
                {gateway_binary().string(), "validate", "-c", config_file().string()}, dir.path());
            BOOST_TEST_INFO("validate stderr:\n" << validate.err);
            check_not_signalled(validate.status, "validate");
            BOOST_TEST(validate.status.code == 1);
            BOOST_TEST(validate.err.find("truncated") != std::string::npos);

            const auto listing =
                run_process({gateway_binary().string(), "plugins", "--directory", plugins.string()},
                            dir.path());
            BOOST_TEST_INFO("plugins stderr:\n" << listing.err);
            check_not_signalled(listing.status, "plugins");
            BOOST_TEST(listing.status.code == 1);
            BOOST_TEST(listing.err.find("truncated") != std::string::npos);

            const auto check =
                run_process({plugin_check.string(), (plugins / "form.so").string()}, dir.path());
            BOOST_TEST_INFO("memolib-plugin-check stdout:\n" << check.out);
            check_not_signalled(check.status, "memolib-plugin-check");
            BOOST_TEST(check.status.code == 1);
            BOOST_TEST(check.out.find("[FAIL] load") != std::string::npos);
            BOOST_TEST(check.out.find("truncated") != std::string::npos);
        }
    }
}

namespace {

HttpResponse admin_reload(std::uint16_t port) {
    HttpRequest request;
    request.method = "POST";
    request.target = "/api/admin/reload";
    request.headers = {{"Authorization", std::string("Bearer ") + kAdminToken}};
    return http_request(port, request);
}

/// The version /version gives for the plugin `name` ("" when it lists none).
std::string served_version(std::uint16_t port, const std::string& name) {
    const HttpResponse answer = http_get(port, "/version");
    BOOST_REQUIRE_EQUAL(answer.status, 200);
    const rapidjson::Document json = parse_json(answer.body);
    BOOST_REQUIRE(json.HasMember("plugins") && json["plugins"].IsArray());
    for (const auto& plugin : json["plugins"].GetArray()) {
        if (string_member(plugin, "name") == name) return string_member(plugin, "version");
    }
    return "";
}

/// The file a successful reload answer says serves the plugin `name` ("" when it names none).
std::string serving_file(const HttpResponse& answer, const std::string& name) {
    const rapidjson::Document json = parse_json(answer.body);
    if (!json.IsObject() || !json.HasMember("plugins") || !json["plugins"].IsArray()) return "";
    for (const auto& plugin : json["plugins"].GetArray()) {
        if (string_member(plugin, "name") == name) return string_member(plugin, "file");
    }
    return "";
}

/// The `reloaded` (or `reload_failed`) lines of the log, in order.
std::vector<LogEvent> reload_lines(const GatewayProcess& gateway, const std::string& event) {
    std::vector<LogEvent> out;
    for (const auto& e : gateway.events()) {
        if (e.get("event") == event) out.push_back(e);
    }
    return out;
}

bool wait_for_reload_line(const GatewayProcess& gateway, const std::string& event,
                          std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        if (reload_lines(gateway, event).size() >= count) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

constexpr const char* kSwapVersion = "2.0.0-swap";

/// A gateway serving the real form.so on a channel with no key only it knows (so that the
/// swap_form fixture can serve the same channel), with the admin API on.
struct SwapFixture : GatewayFixture {
    fs::path plugins;
    std::string old_version;

    SwapFixture() {
        plugins = make_plugins_dir(dir.path());
        config.plugins_directory = plugins;
        config.channels = {{"form", {{"plugin", "form"}}}};
        config.extra_yaml = "monitoring:\n  admin_token: \"" + std::string(kAdminToken) + "\"\n";
    }

    void start_with_form() {
        start();
        old_version = served_version(port, "form");
        BOOST_REQUIRE(!old_version.empty());
        BOOST_REQUIRE_NE(old_version, kSwapVersion);
    }

    /// Copy the new version in, reload, remove the old file, reload: the new file serves from
    /// the first reload on, and each reload says which file serves.
    void hot_swap(const std::string& new_name) {
        start_with_form();
        const fs::path new_file = plugins / new_name;
        fs::copy_file(loader_fixtures_directory() / "swap_form.so", new_file);

        const HttpResponse first = admin_reload(port);
        BOOST_TEST_INFO("first reload: " << first.status << " " << first.body);
        BOOST_TEST(first.status == 200);
        BOOST_TEST(string_member(parse_json(first.body), "status") == "reloaded");
        BOOST_TEST(serving_file(first, "form") == new_file.string());
        BOOST_TEST(first.body.find((plugins / "form.so").string()) != std::string::npos,
                   "the answer names the file set aside");
        BOOST_TEST(served_version(port, "form") == kSwapVersion);

        // Reloading again before the old file is gone keeps the new one.
        const HttpResponse again = admin_reload(port);
        BOOST_TEST(again.status == 200, again.body);
        BOOST_TEST(serving_file(again, "form") == new_file.string());
        BOOST_TEST(served_version(port, "form") == kSwapVersion);

        fs::remove(plugins / "form.so");
        BOOST_REQUIRE_EQUAL(::kill(gateway->pid(), SIGHUP), 0);
        BOOST_TEST_REQUIRE(wait_for_reload_line(*gateway, "reloaded", 3), "no third reload");
        const std::string served = reload_lines(*gateway, "reloaded").back().get("plugins");
        BOOST_TEST(served.find("form=" + new_file.string()) != std::string::npos,
                   "the reloaded line says " << served);
        BOOST_TEST(served_version(port, "form") == kSwapVersion);
    }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_hot_swap_to_a_file_sorting_after_the_old_one_takes_it, SwapFixture) {
    hot_swap("zzz_form.so");
}

BOOST_FIXTURE_TEST_CASE(a_hot_swap_to_a_file_sorting_before_the_old_one_takes_it, SwapFixture) {
    hot_swap("aaa_form.so");
}

// Two new files declaring the name the running one serves: neither is taken, so the reload
// changes nothing and answers that it did not reload, naming both; once one is removed, the
// other is taken.
BOOST_FIXTURE_TEST_CASE(a_reload_that_takes_no_new_file_does_not_answer_reloaded, SwapFixture) {
    start_with_form();
    for (const char* name : {"form_a.so", "form_b.so"})
        fs::copy_file(loader_fixtures_directory() / "swap_form.so", plugins / name);

    const HttpResponse refused = admin_reload(port);
    check_error(refused, 422, "reload_failed");
    const std::string& details = refused.body;
    for (const char* name : {"form_a.so", "form_b.so"}) {
        BOOST_TEST(details.find((plugins / name).string() + " was not taken") != std::string::npos,
                   "details name " << name << ": " << details);
    }
    BOOST_TEST(served_version(port, "form") == old_version);
    check_form_serves(port);

    BOOST_REQUIRE_EQUAL(::kill(gateway->pid(), SIGHUP), 0);
    BOOST_TEST_REQUIRE(wait_for_reload_line(*gateway, "reload_failed", 2), "SIGHUP: no failure");
    BOOST_TEST(reload_lines(*gateway, "reloaded").empty());
    BOOST_TEST(served_version(port, "form") == old_version);

    fs::remove(plugins / "form_b.so");
    const HttpResponse taken = admin_reload(port);
    BOOST_TEST(taken.status == 200, taken.body);
    BOOST_TEST(serving_file(taken, "form") == (plugins / "form_a.so").string());
    BOOST_TEST(served_version(port, "form") == kSwapVersion);
}

// "Drop a new file, reload" while the copy is still in progress: SIGHUP and the admin API's
// reload both refuse the partial file, say the reload did not happen, and keep serving.
BOOST_FIXTURE_TEST_CASE(a_reload_with_a_truncated_file_keeps_serving, GatewayFixture) {
    const fs::path plugins = make_plugins_dir(dir.path());
    config.plugins_directory = plugins;
    config.extra_yaml = "monitoring:\n  admin_token: \"" + std::string(kAdminToken) + "\"\n";
    start();

    write_truncated_form(plugins / "cut_4k.so", 4096);
    BOOST_REQUIRE_EQUAL(::kill(gateway->pid(), SIGHUP), 0);
    BOOST_TEST_REQUIRE(wait_for_refusal(*gateway, "cut_4k.so"), "SIGHUP: no refusal logged");
    BOOST_TEST_REQUIRE(wait_for_reload_line(*gateway, "reload_failed", 1), "SIGHUP: no failure");
    BOOST_TEST(reload_lines(*gateway, "reloaded").empty());
    BOOST_TEST(gateway->running());
    check_form_serves(port);

    write_truncated_form(plugins / "cut_64k.so", 65536);
    const HttpResponse answer = admin_reload(port);
    check_error(answer, 422, "reload_failed");
    BOOST_TEST(
        answer.body.find((plugins / "cut_64k.so").string() + " was not taken") != std::string::npos,
        answer.body);
    BOOST_TEST(wait_for_refusal(*gateway, "cut_64k.so"), "API reload: no refusal logged");
    BOOST_TEST(gateway->running());
    check_form_serves(port);
}
