#include "plugins/plugin_registry.hpp"

#include <link.h>
#include <sys/stat.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <boost/test/unit_test.hpp>

using namespace memolib::core;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& name) {
    return std::string(MEMOLIB_BINARY_DIR) + "/tests/loader_fixtures/" + name + ".so";
}

std::string read_whole(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
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

// Metadata is stored as JSON (PostgreSQL's jsonb): text that is not JSON is kept as a JSON
// string, and JSON naming a NUL character, which jsonb refuses, is refused as text holding one.
BOOST_AUTO_TEST_CASE(metadata_is_stored_as_json) {
    PluginRegistry registry;
    BOOST_REQUIRE(!registry.load_file(fixture("good")));
    std::vector<FieldError> errors;
    ConfigValue block;
    block.kind = ConfigValue::Kind::kMap;
    auto instance = ChannelInstance::create(registry.find("echo"), "echo", block, errors);
    BOOST_REQUIRE(instance);
    const auto parse = [&](const std::string& body) {
        memolib_request_t req{};
        req.struct_size = sizeof req;
        req.body = {reinterpret_cast<const uint8_t*>(body.data()), body.size()};
        PluginCallResult result;
        instance->parse(req, result);
        return result;
    };
    PluginCallResult json = parse(R"(metadata:{"sid":"AC1","text":"a\\u0000"})");
    BOOST_REQUIRE_EQUAL(json.messages.size(), 1u);
    BOOST_TEST(json.messages[0].metadata_json == R"({"sid":"AC1","text":"a\\u0000"})");
    PluginCallResult text = parse("metadata:not \"json\" {");
    BOOST_REQUIRE_EQUAL(text.messages.size(), 1u);
    BOOST_TEST(text.messages[0].metadata_json == R"("not \"json\" {")");
    PluginCallResult nul = parse(R"(metadata:{"sid":"A\u0000"})");
    BOOST_TEST(nul.messages.empty());
    BOOST_REQUIRE_EQUAL(nul.errors.size(), 1u);
    BOOST_TEST(nul.errors[0].code == "invalid_encoding");
}

// A provider time RFC 3339 cannot write (nor PostgreSQL store) is kept as absent.
BOOST_AUTO_TEST_CASE(a_provider_time_before_year_1_is_absent) {
    PluginRegistry registry;
    BOOST_REQUIRE(!registry.load_file(fixture("good")));
    std::vector<FieldError> errors;
    ConfigValue block;
    block.kind = ConfigValue::Kind::kMap;
    auto instance = ChannelInstance::create(registry.find("echo"), "echo", block, errors);
    BOOST_REQUIRE(instance);
    const auto timestamp = [&](const std::string& body) {
        memolib_request_t req{};
        req.struct_size = sizeof req;
        req.body = {reinterpret_cast<const uint8_t*>(body.data()), body.size()};
        PluginCallResult result;
        instance->parse(req, result);
        BOOST_REQUIRE_EQUAL(result.messages.size(), 1u);
        return result.messages[0].provider_timestamp_ms;
    };
    BOOST_TEST(timestamp("ancient") == 0);
    BOOST_TEST(timestamp("year1") == -62135596800000LL);
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
    // Neither may hang or crash the loader.
    fs::create_directory(dir.path / "directory.so");
    BOOST_REQUIRE_EQUAL(::mkfifo((dir.path / "fifo.so").c_str(), 0600), 0);
    for (const char* name : {"good", "wrong_abi", "small_struct", "no_entry", "bad_schema"}) {
        fs::copy_file(fixture(name), dir.path / (std::string(name) + ".so"));
    }

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
    BOOST_TEST(registry.refused().size() == 8u);
    BOOST_TEST(reason("directory.so").find("not_elf: ") == 0u);
    BOOST_TEST(reason("fifo.so").find("not_elf: ") == 0u);
    BOOST_TEST(reason("junk.so").find("not_elf: ") == 0u);
    BOOST_TEST(reason("empty.so").find("truncated: ") == 0u);
    BOOST_TEST(reason("wrong_abi.so") == "ABI major 99 instead of 1");
    BOOST_TEST(reason("small_struct.so").find("struct_size 16") != std::string::npos);
    BOOST_TEST(reason("no_entry.so").find("no entry point") == 0u);
    BOOST_TEST(reason("bad_schema.so").find("invalid config schema") == 0u);
}

// The rule of docs/operations.md for two files declaring one name, whatever their file names.
BOOST_AUTO_TEST_CASE(two_files_declaring_one_name) {
    TempDir dir;
    const auto file = [&dir](const char* name) { return (dir.path / name).string(); };
    const auto serving = [](const PluginRegistry& registry) {
        const auto plugin = registry.find("echo");
        return plugin ? plugin->file : std::string("(none)");
    };
    fs::copy_file(fixture("good"), file("m_echo.so"));
    fs::copy_file(fixture("good"), file("a_echo.so"));

    // At start neither serves, and each refusal names both files.
    PluginRegistry at_start;
    at_start.load_directory(dir.path.string());
    BOOST_TEST(serving(at_start) == "(none)");
    BOOST_REQUIRE_EQUAL(at_start.refused().size(), 2u);
    for (const auto& [path, why] : at_start.refused()) {
        BOOST_TEST(why.find("declared by 2 files (" + file("a_echo.so") + ", " + file("m_echo.so") +
                            ")") != std::string::npos,
                   why);
    }

    // Reloads after the operator kept one: it serves; then a file dropped in takes the name,
    // sorting before or after the one serving.
    fs::remove(file("a_echo.so"));
    PluginRegistry kept;
    const PluginScan first = at_start.scan();
    kept.load_directory(dir.path.string(), &first);
    BOOST_TEST(serving(kept) == file("m_echo.so"));
    PluginScan scan = kept.scan();
    for (const char* dropped : {"z_echo.so", "b_echo.so"}) {
        BOOST_TEST_CONTEXT("dropped in: " << dropped) {
            fs::copy_file(fixture("good"), file(dropped));
            PluginRegistry swapped;
            swapped.load_directory(dir.path.string(), &scan);
            BOOST_TEST(serving(swapped) == file(dropped));
            BOOST_TEST(swapped.refused().empty());
            BOOST_TEST(swapped.set_aside().size() == scan.serving.size() + scan.set_aside.size());
            // Reloading again before the old files are gone keeps the new one.
            PluginRegistry again;
            const PluginScan after_swap = swapped.scan();
            again.load_directory(dir.path.string(), &after_swap);
            BOOST_TEST(serving(again) == file(dropped));
            scan = again.scan();
        }
    }

    // Two files dropped in at once: neither is taken, nor the one serving.
    fs::copy_file(fixture("good"), file("c_echo.so"));
    fs::copy_file(fixture("good"), file("d_echo.so"));
    PluginRegistry ambiguous;
    ambiguous.load_directory(dir.path.string(), &scan);
    BOOST_TEST(serving(ambiguous) == "(none)");
    BOOST_TEST(ambiguous.refused().size() == 5u);
}

// A plugin copied into the directory while the copy is in progress: dlopen of it would die of
// SIGBUS (this test process with it). Every cut is refused from the file's own headers.
BOOST_AUTO_TEST_CASE(a_file_cut_anywhere_is_refused_before_it_is_mapped) {
    TempDir dir;
    const std::string whole = read_whole(fixture("good"));
    BOOST_REQUIRE_GT(whole.size(), 4096u);
    std::vector<std::size_t> cuts = {1, 4, 16, 63, 64, 100, whole.size() - 1};
    for (std::size_t cut = 512; cut < whole.size(); cut += 512) cuts.push_back(cut);
    const fs::path file = dir.path / "partial.so";
    for (std::size_t cut : cuts) {
        fs::remove(file);
        std::ofstream(file, std::ios::binary) << whole.substr(0, cut);
        PluginRegistry registry;
        const auto reason = registry.load_file(file.string());
        BOOST_TEST_REQUIRE(reason.has_value(), "a copy cut at " << cut << " bytes loaded");
        BOOST_TEST(reason->find("truncated: ") == 0u, "cut at " << cut << ": " << *reason);
    }
}

BOOST_AUTO_TEST_CASE(a_file_for_another_machine_or_with_blank_contents_is_refused) {
    TempDir dir;
    const std::string whole = read_whole(fixture("good"));
    ElfW(Ehdr) header{};
    std::memcpy(&header, whole.data(), sizeof header);

    std::string other_machine = whole;
    const auto machine =
        static_cast<std::uint16_t>(header.e_machine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64);
    std::memcpy(other_machine.data() + offsetof(ElfW(Ehdr), e_machine), &machine, sizeof machine);
    std::ofstream(dir.path / "other_machine.so", std::ios::binary) << other_machine;

    // Full size, headers written, the rest still zeros: what a copy that preallocates leaves.
    const std::size_t headers = header.e_phoff + std::size_t{header.e_phnum} * header.e_phentsize;
    std::string blank(whole.size(), '\0');
    std::memcpy(blank.data(), whole.data(), headers);
    std::memcpy(blank.data() + header.e_shoff, whole.data() + header.e_shoff,
                whole.size() - header.e_shoff);
    std::ofstream(dir.path / "blank.so", std::ios::binary) << blank;

    PluginRegistry registry;
    const auto wrong = registry.load_file((dir.path / "other_machine.so").string());
    BOOST_TEST_REQUIRE(wrong.has_value());
    BOOST_TEST(wrong->find("wrong_platform: ") == 0u, *wrong);
    const auto zeros = registry.load_file((dir.path / "blank.so").string());
    BOOST_TEST_REQUIRE(zeros.has_value());
    BOOST_TEST(zeros->find("corrupt: ") == 0u, *zeros);
    BOOST_TEST(!registry.load_file(fixture("good")), "the intact file still loads");
}

BOOST_AUTO_TEST_SUITE_END()
