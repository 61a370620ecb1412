// Shutdown under load: SIGTERM (or SIGINT) while many clients post, then the gateway must stop
// accepting, finish what is in flight, flush the batch writer and exit 0 within
// server.shutdown_grace, and every message it answered 2xx must be in the database, once.
// CTest runs it on SQLite and, with `-- --backend=postgresql`, on PostgreSQL.
#define BOOST_TEST_MODULE e2e_shutdown
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/database.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"

using namespace memolib::test;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr std::chrono::seconds kGrace{5};
// Beyond the grace: process teardown and the last batch's commit, slower under sanitizers.
constexpr std::chrono::seconds kExitMargin{5};

std::string form_json(const std::string& tag) {
    return R"({"name":"Load Test","email":"load.)" + tag +
           R"(@example.org","subject":"Shutdown","message":"message )" + tag + R"("})";
}

/// What the clients saw, request by request.
struct Outcomes {
    std::mutex mutex;
    std::map<std::string, std::pair<long long, std::string>> stored;  ///< tag → (id, checksum)
    std::set<std::string> lost;  ///< sent (maybe partly), connection gone without an answer
    std::map<int, int> statuses;
    std::vector<std::string> unexpected;  ///< answers other than 2xx and 503
    int refused = 0;                      ///< connects refused: the listener was closed
    int sent_after_signal = 0;
};

/// One client: posts unique form messages until a connect is refused (or `stop` is set),
/// on one keep-alive connection or a new connection per request.
void run_client(std::uint16_t port, int client, bool keep_alive, const std::atomic<bool>& stop,
                const std::atomic<bool>& signalled, Outcomes& out) {
    std::unique_ptr<HttpConnection> connection;
    for (int i = 0; !stop.load(); ++i) {
        const std::string tag =
            std::to_string(client) + "-" + std::to_string(i) + "-" + random_hex(8);
        HttpRequest request;
        request.method = "POST";
        request.target = "/webhooks/form";
        request.headers = {{"Content-Type", "application/json"}};
        if (keep_alive) request.headers.emplace_back("Connection", "keep-alive");
        request.body = form_json(tag);
        try {
            if (!connection)
                connection = std::make_unique<HttpConnection>(port, milliseconds(30000));
        } catch (const HttpError&) {
            const std::lock_guard<std::mutex> lock(out.mutex);
            ++out.refused;
            return;
        }
        if (signalled.load()) {
            const std::lock_guard<std::mutex> lock(out.mutex);
            ++out.sent_after_signal;
        }
        HttpResponse response;
        try {
            connection->send_all(serialize_head(request) + request.body);
            response = connection->read_response();
        } catch (const HttpError&) {
            connection.reset();
            const std::lock_guard<std::mutex> lock(out.mutex);
            out.lost.insert(tag);
            continue;
        }
        if (!keep_alive || response.header("Connection").value_or("") == "close") {
            connection.reset();
        }
        const std::lock_guard<std::mutex> lock(out.mutex);
        ++out.statuses[response.status];
        if (response.status / 100 == 2) {
            rapidjson::Document json;
            json.Parse(response.body.c_str(), response.body.size());
            if (json.HasParseError() || !json.IsObject() || !json.HasMember("messages") ||
                !json["messages"].IsArray() || json["messages"].Size() != 1U ||
                !json["messages"][0].HasMember("id") || !json["messages"][0]["id"].IsInt64()) {
                out.unexpected.push_back("2xx without one message id: " + response.body);
                continue;
            }
            const auto& message = json["messages"][0];
            out.stored[tag] = {message["id"].GetInt64(), string_member(message, "checksum")};
        } else if (response.status != 503) {
            out.unexpected.push_back(std::to_string(response.status) + " " +
                                     response.body.substr(0, 200));
        }
    }
}

// Only PostgreSQL lets the test hold a commit for as long as it likes (a table lock).
boost::test_tools::assertion_result on_postgresql(boost::unit_test::test_unit_id) {
    boost::test_tools::assertion_result result(current_backend() == "postgresql");
    result.message() << "needs PostgreSQL (-- --backend=postgresql)";
    return result;
}

struct ShutdownFixture : GatewayFixture {
    ShutdownFixture() {
        config.stages = {"size_limit", "verify", "parse", "enrich", "dedup", "persist"};
        config.server_extra = "  shutdown_grace: " + std::to_string(kGrace.count()) + "s\n";
    }

    /// Starts `clients` clients (half on keep-alive connections), sends `signal` after
    /// `load_time`, and checks the exit and the database against what the clients saw.
    void shutdown_under_load(int signal, int clients, milliseconds load_time) {
        start();
        Outcomes out;
        std::atomic<bool> stop{false};
        std::atomic<bool> signalled{false};
        std::vector<std::thread> threads;
        threads.reserve(static_cast<std::size_t>(clients));
        for (int c = 0; c < clients; ++c) {
            threads.emplace_back(run_client, port, c, c % 2 == 0, std::cref(stop),
                                 std::cref(signalled), std::ref(out));
        }
        std::this_thread::sleep_for(load_time);
        std::size_t stored_before = 0;
        {
            const std::lock_guard<std::mutex> lock(out.mutex);
            stored_before = out.stored.size();
        }
        const auto signalled_at = Clock::now();
        signalled = true;
        BOOST_REQUIRE_EQUAL(::kill(gateway->pid(), signal), 0);
        // Polled rather than wait_for_exit(), which would SIGKILL a gateway that overstays.
        while (gateway->running() && Clock::now() - signalled_at < kGrace + kExitMargin) {
            std::this_thread::sleep_for(milliseconds(10));
        }
        const auto took =
            std::chrono::duration_cast<milliseconds>(Clock::now() - signalled_at).count();
        const bool exited = !gateway->running();
        // Clients stop by themselves on a refused connect; this bounds a hung one.
        stop = true;
        for (auto& t : threads) t.join();
        const ExitStatus status = gateway->stop();
        expect_clean_exit = false;

        BOOST_TEST_MESSAGE(storage.backend()
                           << ", signal " << signal << ": exit after " << took << " ms; "
                           << stored_before << " stored before the signal, " << out.stored.size()
                           << " in all; " << out.lost.size() << " answers lost; "
                           << out.sent_after_signal << " requests sent after the signal; "
                           << out.refused << " connects refused");
        BOOST_TEST(exited, "the gateway still ran " << took << " ms after the signal (grace "
                                                    << kGrace.count() << " s)");
        BOOST_TEST(status.clean(), "the gateway " << status.describe());
        BOOST_TEST(stored_before >= 10U, "the load ran: " << stored_before << " stored first");
        for (const std::string& u : out.unexpected) BOOST_ERROR("unexpected answer: " << u);

        const auto events = gateway->events();
        const auto has = [&](const char* name) {
            return std::any_of(events.begin(), events.end(),
                               [&](const LogEvent& e) { return e.get("event") == name; });
        };
        BOOST_TEST(has("shutdown_started"));
        BOOST_TEST(has("stopped"), "the `stopped` line is logged");

        // Every 2xx is one row, with the id and checksum it was answered with, and there is no
        // other row: a request the gateway read is answered within the grace, and one it did not
        // read (a connection it closed or never accepted) stored nothing.
        std::map<std::string, std::vector<std::pair<long long, std::string>>> rows;
        for (const Row& row : database()->query("SELECT id, dedup_key, text FROM messages")) {
            const std::string text = row.at("text").value_or("");
            const std::string tag = text.substr(text.find(' ') + 1);
            rows[tag].emplace_back(std::stoll(row.at("id").value_or("0")),
                                   row.at("dedup_key").value_or(""));
        }
        std::size_t missing = 0;
        for (const auto& [tag, answer] : out.stored) {
            const auto it = rows.find(tag);
            if (it == rows.end() || it->second.size() != 1U) {
                if (++missing <= 10) {
                    BOOST_ERROR("message " << tag << " was answered 2xx (id " << answer.first
                                           << ") but is stored "
                                           << (it == rows.end() ? 0U : it->second.size())
                                           << " times");
                }
                continue;
            }
            BOOST_TEST(it->second.front().first == answer.first, "the id of " << tag);
            BOOST_TEST(it->second.front().second == answer.second, "the checksum of " << tag);
        }
        BOOST_TEST(missing == 0U, missing << " messages answered 2xx are not stored once");
        std::size_t extra = 0;
        for (const auto& [tag, found] : rows) {
            if (out.stored.count(tag) != 0U) continue;
            if (++extra <= 10) {
                BOOST_ERROR("row " << tag << " (" << found.size() << " times) was not answered 2xx"
                                   << (out.lost.count(tag) == 1U ? ": its answer was lost" : ""));
            }
        }
        BOOST_TEST(extra == 0U, extra << " rows without a 2xx");
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(shutdown, ShutdownFixture)

BOOST_AUTO_TEST_CASE(sigterm_under_load_keeps_every_2xx) {
    shutdown_under_load(SIGTERM, 16, milliseconds(1000));
}

BOOST_AUTO_TEST_CASE(sigint_under_load_keeps_every_2xx) {
    shutdown_under_load(SIGINT, 4, milliseconds(500));
}

// The race the load tests run, forced each way: a request whose headers arrived before SIGTERM
// is finished (its body still to come) and stored within the grace; a request sent after the
// signal on a kept-alive connection is answered 503 shutting_down; a new connection is refused.
BOOST_AUTO_TEST_CASE(after_the_signal_a_request_in_flight_is_kept_and_a_new_one_turned_away) {
    start();
    const auto post = [](const std::string& tag) {
        HttpRequest request;
        request.method = "POST";
        request.target = "/webhooks/form";
        request.headers = {{"Content-Type", "application/json"}, {"Connection", "keep-alive"}};
        request.body = form_json(tag);
        return request;
    };
    HttpConnection kept_alive(port, milliseconds(30000));
    const std::string before_tag = "before-" + random_hex(8);
    const HttpRequest before = post(before_tag);
    kept_alive.send_all(serialize_head(before) + before.body);
    BOOST_REQUIRE_EQUAL(kept_alive.read_response().status, 200);

    HttpConnection in_flight(port, milliseconds(30000));
    const std::string held_tag = "held-" + random_hex(8);
    HttpRequest held = post(held_tag);
    // Its 100 Continue proves the gateway read its headers: it is in flight from then on.
    held.headers.emplace_back("Expect", "100-continue");
    in_flight.send_all(serialize_head(held));
    BOOST_REQUIRE_EQUAL(in_flight.read_response(/*keep_interim=*/true).status, 100);

    BOOST_REQUIRE_EQUAL(::kill(gateway->pid(), SIGTERM), 0);
    const auto signalled_at = Clock::now();
    const auto shutdown_started = [this] {
        for (const auto& event : gateway->events()) {
            if (event.get("event") == "shutdown_started") return true;
        }
        return false;
    };
    while (!shutdown_started() && Clock::now() - signalled_at < std::chrono::seconds(5)) {
        std::this_thread::sleep_for(milliseconds(10));
    }
    BOOST_REQUIRE_MESSAGE(shutdown_started(), "no shutdown_started line");
    BOOST_TEST(gateway->running(), "the gateway did not wait for the request in flight");

    const HttpRequest after = post("after-" + random_hex(8));
    kept_alive.send_all(serialize_head(after) + after.body);
    const HttpResponse turned_away = kept_alive.read_response();
    check_error(turned_away, 503, "shutting_down");
    BOOST_TEST(turned_away.header("Retry-After").value_or("") == "1");
    BOOST_CHECK_THROW(HttpConnection(port, milliseconds(2000)), HttpError);

    in_flight.send_all(held.body);
    const HttpResponse kept = in_flight.read_response();
    BOOST_TEST(kept.status == 200, kept.body);

    while (gateway->running() && Clock::now() - signalled_at < kGrace + kExitMargin) {
        std::this_thread::sleep_for(milliseconds(10));
    }
    const ExitStatus status = gateway->stop();
    expect_clean_exit = false;
    BOOST_TEST(status.clean(), "the gateway " << status.describe());
    const auto db = database();
    BOOST_TEST(db->scalar("SELECT COUNT(*) FROM messages") == 2);
    for (const std::string& tag : {before_tag, held_tag}) {
        BOOST_TEST(db->scalar("SELECT COUNT(*) FROM messages WHERE text LIKE '%" + tag + "%'") == 1,
                   tag << " is stored once");
    }
}

// A request that cannot finish (PostgreSQL holds the table locked, so its commit waits, and the
// storage timeout is far beyond the grace) must not keep the gateway past its grace; its client
// gets no answer at all (the provider retries), and nothing is stored.
BOOST_AUTO_TEST_CASE(a_request_held_past_the_grace_does_not_hold_the_exit,
                     *boost::unit_test::precondition(on_postgresql)) {
    config.server_extra = "  shutdown_grace: 1s\n";
    config.storage_extra = "  timeout: 60s\n";
    start();
    const auto locker = database();
    locker->query("BEGIN");
    locker->query("LOCK TABLE messages IN EXCLUSIVE MODE");
    HttpResponse answer;
    std::string failure;
    std::thread client([&] {
        try {
            answer = http_post(port, "/webhooks/form", "application/json", form_json("held"));
        } catch (const std::exception& e) {
            failure = e.what();
        }
    });
    // The signal comes once the request's commit waits for the lock, not before.
    const auto watcher = database();
    const auto waiting = [&watcher] {
        return watcher->scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = "
            "current_database() AND wait_event_type = 'Lock'");
    };
    const auto wait_began = Clock::now();
    while (waiting() == 0 && Clock::now() - wait_began < std::chrono::seconds(20)) {
        std::this_thread::sleep_for(milliseconds(10));
    }
    BOOST_REQUIRE_MESSAGE(waiting() == 1, "the request's commit never waited for the lock");
    const auto signalled_at = Clock::now();
    BOOST_REQUIRE_EQUAL(::kill(gateway->pid(), SIGTERM), 0);
    while (gateway->running() && Clock::now() - signalled_at < milliseconds(1000) + kExitMargin) {
        std::this_thread::sleep_for(milliseconds(10));
    }
    const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - signalled_at).count();
    const bool exited = !gateway->running();
    locker->query("ROLLBACK");
    client.join();
    const ExitStatus status = gateway->stop();
    expect_clean_exit = false;
    BOOST_TEST_MESSAGE("exit after " << took << " ms");
    BOOST_TEST(exited, "the gateway still ran " << took << " ms after SIGTERM (grace 1 s)");
    BOOST_TEST(status.clean(), "the gateway " << status.describe());
    BOOST_TEST(!failure.empty(),
               "the held request was answered " << answer.status << " " << answer.body);
    BOOST_TEST(database()->scalar("SELECT COUNT(*) FROM messages") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
