// 10,000 random and damaged bodies per channel (form, whatsapp, sms, email) over HTTP against
// the real gateway: random bytes, fixtures truncated at random offsets, fixtures with bytes
// flipped, spliced or cut out, under their own and wrong content types. No 5xx, every request
// answered, the process still serving at the end and no sanitizer report in its log (the
// fixture checks that). Seeded; the seed is printed and MEMOLIB_FAULTS_SEED replays a run.
// MEMOLIB_FAULTS_CASES changes the number of bodies per channel (default 10,000). On SQLite.
#define BOOST_TEST_MODULE e2e_faults_junk_bodies
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"

using namespace memolib::test;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

struct Fixture {
    std::string name;
    std::string content_type;
    std::string body;
};

struct Channel {
    std::string name;
    std::vector<Fixture> fixtures;
};

/// The content type a provider sends with a fixture file, from its extension.
std::string content_type_of(const std::filesystem::path& file, const std::string& body) {
    const std::string ext = file.extension().string();
    if (ext == ".json") return "application/json";
    if (ext == ".urlencoded") return "application/x-www-form-urlencoded";
    if (ext == ".eml") return "message/rfc822";
    if (ext == ".multipart") {
        const auto end = body.find_first_of("\r\n");
        return "multipart/form-data; boundary=" + body.substr(2, end - 2);
    }
    return {};
}

std::vector<Fixture> load_fixtures(const std::string& plugin) {
    std::vector<Fixture> out;
    const auto root = source_directory() / "plugins" / plugin / "tests" / "fixtures";
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
        if (!entry.is_regular_file()) continue;
        const std::string body = read_file(entry.path());
        const std::string type = content_type_of(entry.path(), body);
        if (type.empty()) continue;
        out.push_back({entry.path().filename().string(), type, body});
    }
    std::sort(out.begin(), out.end(),
              [](const Fixture& a, const Fixture& b) { return a.name < b.name; });
    return out;
}

const std::vector<std::string> kWrongTypes = {
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xYzZY",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=\"unterminated",
    "message/rfc822",
    "text/plain",
    "application/octet-stream",
    "application/json; charset=utf-16",
    "",
};

const std::vector<std::string> kTokens = {"\"",
                                          "{",
                                          "}",
                                          "[",
                                          "]",
                                          ",",
                                          ":",
                                          "\\",
                                          "\\u0000",
                                          "\\ud800",
                                          "%",
                                          "%zz",
                                          "=",
                                          "&",
                                          "+",
                                          "\r\n",
                                          "\r\n\r\n",
                                          "--",
                                          "--xYzZY",
                                          "--xYzZY--",
                                          std::string(1, '\0'),
                                          "\xff\xfe",
                                          "\xc3",
                                          "null",
                                          "-1",
                                          "99999999999999999999999",
                                          "1e999",
                                          "=?utf-8?B?",
                                          "=?iso-8859-1?Q?=",
                                          "Content-Type: ",
                                          "boundary=",
                                          "\t",
                                          " ",
                                          "true"};

/// One damaged request: what the random generator made of case `index` of a channel.
struct Case {
    std::string kind;
    std::string content_type;
    std::string body;
};

Case make_case(const Channel& channel, std::uint64_t seed, std::size_t channel_index,
               std::size_t index) {
    std::mt19937_64 rng(seed ^ (static_cast<std::uint64_t>(channel_index) << 48) ^
                        (static_cast<std::uint64_t>(index) * 0x9E3779B97F4A7C15ULL));
    const auto pick = [&](std::size_t n) {
        return static_cast<std::size_t>(rng() % std::max<std::size_t>(n, 1));
    };
    const Fixture& fixture = channel.fixtures[pick(channel.fixtures.size())];
    Case c;
    c.content_type = fixture.content_type;
    const std::size_t kind = pick(10);
    if (kind < 2) {
        c.kind = "random bytes";
        const std::size_t size = pick(8) == 0 ? pick(std::size_t{64} * 1024) : pick(2048);
        c.body.resize(size);
        for (auto& b : c.body) b = static_cast<char>(rng());
    } else if (kind < 4) {
        c.kind = "truncated " + fixture.name;
        c.body = fixture.body.substr(0, pick(fixture.body.size()));
    } else if (kind < 7) {
        c.kind = "bytes flipped in " + fixture.name;
        c.body = fixture.body;
        const std::size_t flips = 1 + pick(16);
        for (std::size_t i = 0; i < flips && !c.body.empty(); ++i) {
            char& b = c.body[pick(c.body.size())];
            b = pick(2) == 0 ? static_cast<char>(rng()) : static_cast<char>(b ^ (1 << pick(8)));
        }
    } else if (kind < 9) {
        c.kind = "tokens spliced into " + fixture.name;
        c.body = fixture.body;
        const std::size_t splices = 1 + pick(6);
        for (std::size_t i = 0; i < splices; ++i) {
            const std::string& token = kTokens[pick(kTokens.size())];
            const std::size_t at = pick(c.body.size() + 1);
            if (pick(2) == 0) {
                c.body.insert(at, token);
            } else {
                c.body.replace(at, std::min(token.size(), c.body.size() - at), token);
            }
        }
    } else {
        c.kind = "a slice cut out of or repeated in " + fixture.name;
        c.body = fixture.body;
        const std::size_t from = pick(c.body.size() + 1);
        const std::size_t length = pick(c.body.size() - from + 1);
        if (pick(2) == 0) {
            c.body.erase(from, length);
        } else {
            const std::string slice = c.body.substr(from, length);
            for (std::size_t i = 0, n = 1 + pick(50); i < n; ++i) c.body.insert(from, slice);
        }
    }
    if (pick(4) == 0) c.content_type = kWrongTypes[pick(kWrongTypes.size())];
    return c;
}

std::string printable(const std::string& bytes, std::size_t limit = 160) {
    std::string out;
    for (const char ch : bytes.substr(0, limit)) {
        const auto b = static_cast<unsigned char>(ch);
        if (b >= 0x20 && b < 0x7f && b != '\\') {
            out += ch;
        } else {
            static const char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[b >> 4];
            out += kHex[b & 15];
        }
    }
    return bytes.size() > limit ? out + "…" : out;
}

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 0) : fallback;
}

/// A client on one kept-alive connection, reopened whenever the server closes it.
class JunkClient {
public:
    explicit JunkClient(std::uint16_t port) : port_(port) {}

    /// The answer, or status 0 with the error in `reason` when none came, even on a new
    /// connection (a kept-alive one may have been closed by the server just before).
    HttpResponse send(const Case& c, const std::string& target) {
        HttpRequest request;
        request.method = "POST";
        request.target = target;
        request.headers = {{"Connection", "keep-alive"},
                           {"Content-Length", std::to_string(c.body.size())}};
        if (!c.content_type.empty()) request.headers.emplace_back("Content-Type", c.content_type);
        const std::string data = serialize_head(request) + c.body;
        for (int attempt = 0;; ++attempt) {
            const bool reused = connection_ != nullptr;
            try {
                if (!connection_) {
                    connection_ = std::make_unique<HttpConnection>(port_, milliseconds(30000));
                }
                connection_->send_watching(data);
                HttpResponse response = connection_->read_response();
                if (response.header("Connection").value_or("") == "close") connection_.reset();
                return response;
            } catch (const HttpError& e) {
                connection_.reset();
                if (!reused || attempt > 0) {
                    HttpResponse none;
                    none.reason = e.what();
                    return none;
                }
            }
        }
    }

private:
    std::uint16_t port_;
    std::unique_ptr<HttpConnection> connection_;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(junk_bodies, GatewayFixture)

BOOST_AUTO_TEST_CASE(random_and_damaged_bodies_get_no_5xx_and_no_crash) {
    const std::uint64_t seed = env_number(
        "MEMOLIB_FAULTS_SEED",
        static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
    const std::size_t cases = env_number("MEMOLIB_FAULTS_CASES", 10000);
    BOOST_TEST_MESSAGE("seed " << seed << " (MEMOLIB_FAULTS_SEED=" << seed << " replays it), "
                               << cases << " bodies per channel");

    std::vector<Channel> channels;
    for (const char* name : {"form", "whatsapp", "sms", "email"}) {
        channels.push_back({name, load_fixtures(name)});
        BOOST_TEST_REQUIRE(!channels.back().fixtures.empty(), "fixtures of " << name);
    }
    config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "cache", "persist"};
    config.channels.clear();
    for (const Channel& channel : channels) {
        config.channels.push_back({channel.name, {{"plugin", channel.name}, {"verify", "off"}}});
    }
    start();

    std::atomic<std::size_t> next{0};
    const std::size_t total = cases * channels.size();
    std::mutex mutex;
    std::map<std::string, std::map<int, int>> statuses;
    std::vector<std::string> failures;
    std::size_t failure_count = 0;
    const auto began = Clock::now();
    constexpr int kClients = 4;
    std::vector<std::thread> threads;
    threads.reserve(kClients);
    for (int t = 0; t < kClients; ++t) {
        threads.emplace_back([&] {
            JunkClient client(port);
            std::map<std::string, std::map<int, int>> mine;
            for (std::size_t k = next++; k < total; k = next++) {
                const std::size_t channel_index = k % channels.size();
                const std::size_t index = k / channels.size();
                const Channel& channel = channels[channel_index];
                const Case c = make_case(channel, seed, channel_index, index);
                const HttpResponse response = client.send(c, "/webhooks/" + channel.name);
                ++mine[channel.name][response.status];
                if (response.status == 0 || response.status >= 500) {
                    const std::lock_guard<std::mutex> lock(mutex);
                    if (++failure_count <= 20) {
                        failures.push_back(channel.name + " case " + std::to_string(index) + " (" +
                                           c.kind + ", Content-Type '" + c.content_type + "', " +
                                           std::to_string(c.body.size()) + " bytes): " +
                                           (response.status == 0
                                                ? "no answer: " + response.reason
                                                : std::to_string(response.status) + " " +
                                                      response.body.substr(0, 300)) +
                                           "\n  body: " + printable(c.body));
                    }
                }
            }
            const std::lock_guard<std::mutex> lock(mutex);
            for (const auto& [name, counts] : mine) {
                for (const auto& [status, n] : counts) statuses[name][status] += n;
            }
        });
    }
    for (auto& t : threads) t.join();
    const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - began).count();

    BOOST_TEST_MESSAGE(total << " requests in " << took << " ms");
    for (const auto& [name, counts] : statuses) {
        std::string line = name + ":";
        int sum = 0;
        for (const auto& [status, n] : counts) {
            line += " " + std::to_string(n) + " × " + std::to_string(status);
            sum += n;
        }
        BOOST_TEST_MESSAGE(line);
        BOOST_TEST(sum == static_cast<int>(cases), name << ": every body was sent");
        // The bodies reached parse (no verify in the way): some were refused there...
        BOOST_TEST(counts.count(400) + counts.count(415) > 0U, name << " refused some bodies");
        // ...and some damaged ones were still valid and stored.
        BOOST_TEST(counts.count(200) > 0U, name << " stored some damaged bodies");
    }
    for (const auto& failure : failures) BOOST_ERROR(failure);
    BOOST_TEST(failure_count == 0U,
               failure_count << " requests got a 5xx or no answer (seed " << seed << ")");
    BOOST_TEST(gateway->running(), "the gateway still runs");
    BOOST_TEST(http_get(port, "/health").status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
