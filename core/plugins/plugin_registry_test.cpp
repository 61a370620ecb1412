#include "plugins/plugin_registry.hpp"

#include <filesystem>
#include <fstream>

#include <boost/test/unit_test.hpp>

using namespace memolib::core;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& name) {
    return std::string(MEMOLIB_BINARY_DIR) + "/tests/loader_fixtures/" + name + ".so";
}

struct TempDir {
    TempDir() {
        path = fs::temp_directory_path() / ("memolib_loader_" + std::to_string(::getpid()));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    fs::path path;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_registry)

BOOST_AUTO_TEST_CASE(a_good_plugin_loads_and_parses) {
    PluginRegistry registry;
    BOOST_TEST(!registry.load_file(fixture("good")));
    auto plugin = registry.find("echo");
    BOOST_REQUIRE(plugin);
    BOOST_TEST(plugin->version == "0.0.1");
    BOOST_TEST(plugin->content_types.at(0) == "text/plain");
    BOOST_TEST(plugin->schema.property("mode") != nullptr);

    std::vector<FieldError> errors;
    ConfigValue block;
    block.kind = ConfigValue::Kind::kMap;
    auto instance = ChannelInstance::create(plugin, "echo", block, errors);
    BOOST_REQUIRE(instance);
    memolib_request_t req{};
    req.struct_size = sizeof req;
    const char body[] = "hello";
    req.body = {reinterpret_cast<const uint8_t*>(body), 5};
    PluginCallResult result;
    BOOST_TEST(instance->parse(req, result) == MEMOLIB_OK);
    BOOST_REQUIRE_EQUAL(result.messages.size(), 1u);
    BOOST_TEST(result.messages[0].text == "hello");
    BOOST_TEST(result.messages[0].provider == "test");
}

BOOST_AUTO_TEST_CASE(a_plugin_refusing_its_config_says_why) {
    PluginRegistry registry;
    BOOST_REQUIRE(!registry.load_file(fixture("good")));
    ConfigValue block;
    block.kind = ConfigValue::Kind::kMap;
    ConfigValue mode;
    mode.kind = ConfigValue::Kind::kScalar;
    mode.scalar = "refuse";
    block.entries.emplace_back("mode", mode);
    std::vector<FieldError> errors;
    BOOST_TEST(!ChannelInstance::create(registry.find("echo"), "echo", block, errors));
    BOOST_REQUIRE_EQUAL(errors.size(), 1u);
    BOOST_TEST(errors[0].field == "mode");
}

BOOST_AUTO_TEST_CASE(each_bad_file_is_refused_with_its_reason) {
    TempDir dir;
    std::ofstream(dir.path / "junk.so") << "this is not an ELF file";
    { std::ofstream empty(dir.path / "empty.so"); }  // an empty file, closed at once
    std::ofstream(dir.path / "README.txt") << "ignored: not a .so";
    for (const char* name : {"good", "wrong_abi", "small_struct", "no_entry", "bad_schema"}) {
        fs::copy_file(fixture(name), dir.path / (std::string(name) + ".so"));
    }
    fs::copy_file(fixture("good"), dir.path / "good_copy.so");

    PluginRegistry registry;
    registry.load_directory(dir.path.string());
    BOOST_TEST(registry.plugins().size() == 1u);
    BOOST_TEST(registry.find("echo") != nullptr);

    auto reason = [&](const std::string& file) {
        for (const auto& [path, why] : registry.refused()) {
            if (fs::path(path).filename() == file) return why;
        }
        return std::string("(not refused)");
    };
    BOOST_TEST(registry.refused().size() == 7u);
    BOOST_TEST(reason("junk.so").find("not a loadable shared library") == 0u);
    BOOST_TEST(reason("empty.so").find("not a loadable shared library") == 0u);
    BOOST_TEST(reason("wrong_abi.so") == "ABI major 99 instead of 1");
    BOOST_TEST(reason("small_struct.so").find("struct_size 16") != std::string::npos);
    BOOST_TEST(reason("no_entry.so").find("no entry point") == 0u);
    BOOST_TEST(reason("bad_schema.so").find("invalid config schema") == 0u);
    BOOST_TEST(reason("good_copy.so").find("duplicate plugin name 'echo'") == 0u);
}

BOOST_AUTO_TEST_CASE(utf8_validation) {
    BOOST_TEST(is_valid_utf8("héllo wörld ✓"));
    BOOST_TEST(!is_valid_utf8("\xff"));
    BOOST_TEST(!is_valid_utf8("\xc3"));
    BOOST_TEST(!is_valid_utf8("\xed\xa0\x80"));  // a UTF-16 surrogate
    BOOST_TEST(!is_valid_utf8("\xc0\xaf"));      // overlong
    // Long ASCII runs are checked a word at a time: a bad byte is found wherever it falls, and
    // a character that straddles two words is still read whole.
    const std::string ascii(37, 'a');
    for (std::size_t at = 0; at <= ascii.size(); ++at) {
        std::string bad = ascii;
        bad.insert(at, "\xff");
        BOOST_TEST(!is_valid_utf8(bad), "0xff at " << at);
        std::string good = ascii;
        good.insert(at, "\xe2\x9c\x93");
        BOOST_TEST(is_valid_utf8(good), "U+2713 at " << at);
    }
    BOOST_TEST(!is_valid_utf8(ascii + "\xe2\x9c"));  // truncated at the end
    BOOST_TEST(is_valid_utf8(ascii));
}

BOOST_AUTO_TEST_SUITE_END()
