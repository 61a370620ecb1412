#include "storage/batch_writer.hpp"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <soci/soci.h>

#include "observability/metrics.hpp"
#include "storage/spool.hpp"
#include "support/database.hpp"
#include "util/clock.hpp"
#include "util/sha256.hpp"
#include "util/time_format.hpp"

using namespace memolib::core;
namespace fs = std::filesystem;
using Status = NormalizedMessage::Status;
using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

namespace {

fs::path test_dir() {
    return fs::temp_directory_path() / ("memolib_batch_writer_test_" + std::to_string(::getpid()));
}

struct RemoveTestFiles {
    ~RemoveTestFiles() {
        std::error_code ec;
        fs::remove_all(test_dir(), ec);
    }
};
BOOST_TEST_GLOBAL_FIXTURE(RemoveTestFiles);

// One test's storage: a fresh SQLite file or PostgreSQL database, migrated unless told
// otherwise. One writer, whatever the backend, so that holding it holds every commit.
struct Storage {
    explicit Storage(const std::string& backend, bool migrated = true)
        : dir(fresh_dir()), test(backend, dir) {
        config.backend = backend;
        config.url = test.url();
        config.pool = 1;
        config.batch_max_delay_ms = 10'000;
        if (migrated) Database::open(config)->migrate();
    }
    static fs::path fresh_dir() {
        static int count = 0;
        fs::path dir = test_dir() / std::to_string(++count);
        fs::create_directories(dir);
        return dir;
    }
    fs::path dir;
    memolib::test::TestStorage test;
    StorageConfig config;
};

// The retries' delays exactly: no jitter.
RetryPolicy exact_retry(int attempts) {
    RetryPolicy r;
    r.max_attempts = attempts;
    r.base_delay_ms = 100;
    r.max_delay_ms = 5000;
    r.full_jitter = false;
    return r;
}

NormalizedMessage message(const std::string& key) {
    NormalizedMessage m;
    m.channel = "form";
    m.provider = "website";
    m.sender = "jane@example.org";
    m.text = "text of " + key;
    m.dedup_key = sha256({key});
    m.request_id = "req-" + key;
    m.received_at_ms = now_ms();
    return m;
}

// One request's job and what the writer answered it.
struct Request {
    std::vector<NormalizedMessage> messages;
    std::string raw = "{}";
    std::string content_type = "application/json";
    std::promise<void> answered;
    StoreOutcome outcome = StoreOutcome::kFailed;
    std::string error;
    /// Whether another connection saw the first message's row when the answer came.
    bool visible_at_answer = false;
    Steady::time_point answered_at;
};

// Submits `r` to `writer`; `check` (when set) is the database the answer is checked against.
void submit(BatchWriter& writer, Request& r, std::shared_ptr<StoreArrival> arrival = nullptr,
            const StorageConfig* check = nullptr, std::function<void()> on_answer = nullptr) {
    StoreJob job;
    job.messages = &r.messages;
    job.raw_payload = &r.raw;
    job.content_type = &r.content_type;
    job.arrival = std::move(arrival);
    job.done = [&r, check, on_answer](StoreOutcome outcome, const std::string& error) {
        r.outcome = outcome;
        r.error = error;
        r.answered_at = Steady::now();
        if (check != nullptr && outcome == StoreOutcome::kCommitted) {
            r.visible_at_answer =
                Database::open(*check)->find_message(r.messages[0].id).has_value();
        }
        if (on_answer) on_answer();
        r.answered.set_value();
    };
    writer.submit(std::move(job));
}

void await(Request& r) {
    BOOST_REQUIRE_MESSAGE(
        r.answered.get_future().wait_for(std::chrono::seconds(20)) == std::future_status::ready,
        "the writer answered within 20 s");
}

// A value of the rendered metrics (0 when the series is absent).
double metric(const std::string& series) {
    const std::string text = metrics().render();
    const std::string head = series + " ";
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        if (text.compare(pos, head.size(), head) == 0)
            return std::stod(text.substr(pos + head.size(), end - pos - head.size()));
        pos = end + 1;
    }
    return 0;
}

struct Batches {
    double count = metric("memolib_batch_size_count");
    double sum = metric("memolib_batch_size_sum");
    double new_count() const { return metric("memolib_batch_size_count") - count; }
    double new_sum() const { return metric("memolib_batch_size_sum") - sum; }
};

// Holds the writer thread inside the answer of a first request, so that the requests a test
// submits meanwhile are all queued when it takes its next batch: a commit in progress is what
// groups requests in production, and here it is not a matter of timing.
class HeldWriter {
public:
    explicit HeldWriter(BatchWriter& writer) {
        first_.messages.push_back(message("held-" + std::to_string(++count_)));
        submit(writer, first_, nullptr, nullptr, [this] {
            holding_.set_value();
            release_.get_future().wait();
        });
        BOOST_REQUIRE(holding_.get_future().wait_for(std::chrono::seconds(20)) ==
                      std::future_status::ready);
    }
    ~HeldWriter() { release(); }
    void release() {
        if (released_) return;
        released_ = true;
        release_.set_value();
        await(first_);
    }
    const Request& first() const { return first_; }

private:
    static inline int count_ = 0;
    Request first_;
    std::promise<void> holding_;
    std::promise<void> release_;
    bool released_ = false;
};

// One message each, "<prefix>0", "<prefix>1"…, submitted to `writer` in order.
void submit_each(BatchWriter& writer, std::vector<Request>& requests, const std::string& prefix) {
    for (std::size_t i = 0; i < requests.size(); ++i) {
        requests[i].messages = {message(prefix + std::to_string(i))};
        submit(writer, requests[i]);
    }
}

// Turns the database file into a directory and back, so that opening it fails as SQLite's
// "unable to open database file" (a transient error) until it is restored.
class BlockedPath {
public:
    explicit BlockedPath(const std::string& path) : path_(path), aside_(path + ".aside") {
        fs::rename(path_, aside_);
        fs::create_directory(path_);
    }
    ~BlockedPath() { restore(); }
    void restore() {
        if (restored_) return;
        restored_ = true;
        fs::remove(path_);
        fs::rename(aside_, path_);
    }

private:
    fs::path path_, aside_;
    bool restored_ = false;
};

}  // namespace

namespace {

void a_request_is_answered_once_its_rows_are_committed(const std::string& backend) {
    const Storage storage(backend);
    const StorageConfig config = storage.config;
    BatchWriter writer(config, exact_retry(3));
    writer.start();
    Request r;
    r.messages = {message("a1"), message("a2")};
    submit(writer, r, nullptr, &config);
    await(r);
    BOOST_TEST((r.outcome == StoreOutcome::kCommitted));
    BOOST_TEST(r.visible_at_answer, "another connection reads the row when the answer comes");
    BOOST_TEST((r.messages[0].status == Status::kStored));
    BOOST_TEST((r.messages[1].status == Status::kStored));
    BOOST_TEST(r.messages[1].id == r.messages[0].id + 1);
    BOOST_TEST(writer.healthy());
}

void requests_queued_during_a_commit_share_the_next_transaction(const std::string& backend) {
    const Storage storage(backend);
    const StorageConfig config = storage.config;
    BatchWriter writer(config, exact_retry(3));
    writer.start();
    const Batches before;
    Request a, b, c;
    {
        HeldWriter held(writer);
        a.messages = {message("q1")};
        b.messages = {message("q2"), message("q3")};
        c.messages = {message("q4")};
        for (Request* r : {&a, &b, &c}) submit(writer, *r, nullptr, &config);
    }
    for (Request* r : {&a, &b, &c}) {
        await(*r);
        BOOST_TEST((r->outcome == StoreOutcome::kCommitted));
        BOOST_TEST(r->visible_at_answer);
    }
    // The held request's transaction, then one for all three.
    BOOST_TEST(before.new_count() == 2);
    BOOST_TEST(before.new_sum() == 5);
}

void a_transaction_holds_at_most_max_messages(const std::string& backend) {
    const Storage storage(backend);
    StorageConfig config = storage.config;
    config.batch_max_messages = 3;
    BatchWriter writer(config, exact_retry(3));
    writer.start();
    const Batches before;
    std::vector<Request> requests(5);
    {
        HeldWriter held(writer);
        submit_each(writer, requests, "m");
    }
    for (Request& r : requests) {
        await(r);
        BOOST_TEST((r.outcome == StoreOutcome::kCommitted));
    }
    // The held one, then 3 and 2.
    BOOST_TEST(before.new_count() == 3);
    BOOST_TEST(before.new_sum() == 6);
    // A request larger than the limit is not split: it is one transaction of its own.
    Request big;
    for (int i = 0; i < 5; ++i) big.messages.push_back(message("big" + std::to_string(i)));
    submit(writer, big);
    await(big);
    BOOST_TEST((big.outcome == StoreOutcome::kCommitted));
    BOOST_TEST(before.new_count() == 4);
    BOOST_TEST(before.new_sum() == 11);
}

void a_dedup_key_twice_in_one_batch_is_stored_once(const std::string& backend) {
    const Storage storage(backend);
    const StorageConfig config = storage.config;
    BatchWriter writer(config, exact_retry(3));
    writer.start();
    const Batches before;
    Request first, again, other;
    {
        HeldWriter held(writer);
        first.messages = {message("same")};
        again.messages = {message("same")};
        again.messages[0].text = "a retry with other bytes";
        other.messages = {message("other")};
        for (Request* r : {&first, &again, &other}) submit(writer, *r);
    }
    for (Request* r : {&first, &again, &other}) {
        await(*r);
        BOOST_TEST((r->outcome == StoreOutcome::kCommitted));
    }
    BOOST_TEST(before.new_count() == 2);
    BOOST_TEST((first.messages[0].status == Status::kStored));
    BOOST_TEST((again.messages[0].status == Status::kDuplicate));
    BOOST_TEST(again.messages[0].id == first.messages[0].id);
    BOOST_TEST((other.messages[0].status == Status::kStored));
    const auto row = Database::open(config)->find_message(first.messages[0].id);
    BOOST_REQUIRE(row.has_value());
    BOOST_TEST(row->text == "text of same", "the first one's row");
}

void a_transient_error_is_retried_with_doubling_delays() {
    const Storage storage("sqlite");
    const StorageConfig config = storage.config;
    ManualClock clock;
    BatchWriter writer(config, exact_retry(5), clock);
    writer.start();
    const double retries = metric("memolib_storage_retries_total");
    std::vector<std::int64_t> delays;
    BlockedPath blocked(config.url);
    clock.on_sleep([&](std::int64_t ms) {
        delays.push_back(ms);
        // The storage comes back during the second wait.
        if (delays.size() == 2) blocked.restore();
    });
    Request r;
    r.messages = {message("retried")};
    submit(writer, r, nullptr, &config);
    await(r);
    BOOST_TEST((r.outcome == StoreOutcome::kCommitted));
    BOOST_TEST(r.visible_at_answer);
    BOOST_TEST(delays == (std::vector<std::int64_t>{100, 200}), boost::test_tools::per_element());
    BOOST_TEST(metric("memolib_storage_retries_total") - retries == 2);
    BOOST_TEST(writer.healthy());
}

// The retries share the request's time budget (storage.timeout_ms): a retry that would end
// past it is not made.
void retries_stop_before_the_storage_timeout() {
    const Storage storage("sqlite");
    StorageConfig config = storage.config;
    config.timeout_ms = 1000;
    ManualClock clock;
    RetryPolicy retry = exact_retry(10);
    retry.base_delay_ms = 300;
    BatchWriter writer(config, retry, clock);
    writer.start();
    std::vector<std::int64_t> delays;
    clock.on_sleep([&](std::int64_t ms) { delays.push_back(ms); });
    BlockedPath blocked(config.url);
    Request r;
    r.messages = {message("budget")};
    submit(writer, r);
    await(r);
    BOOST_TEST((r.outcome == StoreOutcome::kUnavailable));
    BOOST_TEST(r.error.find("unable to open database file") != std::string::npos, r.error);
    // 300 then 600 end at 900 ms; 1200 more would end past 1000.
    BOOST_TEST(delays == (std::vector<std::int64_t>{300, 600}), boost::test_tools::per_element());
    BOOST_TEST(!writer.healthy());
    BOOST_TEST(!writer.full(), "unavailable is not full");
}

void a_failed_storage_answers_every_request_of_the_batch() {
    const Storage storage("sqlite");
    const StorageConfig config = storage.config;
    ManualClock clock;
    BatchWriter writer(config, exact_retry(2), clock);
    writer.start();
    std::vector<Request> waiting(3);
    std::optional<BlockedPath> blocked(std::in_place, config.url);
    {
        HeldWriter held(writer);
        submit_each(writer, waiting, "w");
        held.release();
        BOOST_TEST((held.first().outcome == StoreOutcome::kUnavailable));
    }
    for (Request& r : waiting) {
        await(r);
        BOOST_TEST((r.outcome == StoreOutcome::kUnavailable), r.error);
        // They waited behind the try that failed: answered at once, without a try of their own.
        BOOST_TEST(r.error == "the storage failed while this batch waited for it");
        BOOST_TEST((r.messages[0].status == Status::kPending));
    }
    BOOST_TEST(!writer.healthy());
    // The storage is back: the next batch, begun after the failure, tries it and commits.
    blocked.reset();
    clock.advance(1);
    Request next;
    next.messages = {message("after")};
    submit(writer, next, nullptr, &config);
    await(next);
    BOOST_TEST((next.outcome == StoreOutcome::kCommitted), next.error);
    BOOST_TEST(next.visible_at_answer);
    BOOST_TEST(writer.healthy());
}

// A refusal (here: no messages table) is not retried; the batch is split so that one request's
// bad row cannot fail the others, and each request is answered with its own refusal.
void a_refused_batch_answers_each_request_with_its_own_refusal(const std::string& backend) {
    const Storage storage(backend, false);
    const StorageConfig config = storage.config;
    ManualClock clock;
    BatchWriter writer(config, exact_retry(3), clock);
    writer.start();
    const double retries = metric("memolib_storage_retries_total");
    const double failures = metric("memolib_storage_failures_total");
    std::vector<Request> waiting(3);
    {
        HeldWriter held(writer);
        submit_each(writer, waiting, "r");
    }
    for (Request& r : waiting) {
        await(r);
        BOOST_TEST((r.outcome == StoreOutcome::kFailed));
        const std::string refusal = backend == "sqlite" ? "no such table: messages"
                                                        : "relation \"messages\" does not exist";
        BOOST_TEST(r.error.find(refusal) != std::string::npos, r.error);
    }
    BOOST_TEST(metric("memolib_storage_retries_total") - retries == 0);
    BOOST_TEST(metric("memolib_storage_failures_total") - failures == 4,
               "the held request and the three, each alone");
    BOOST_TEST(clock.now_ms() == 1'000'000, "no backoff");
}

// After an idle spell, a request waits for the requests announced after it, at most max_delay.
void an_idle_writer_waits_for_announced_requests_up_to_max_delay(const std::string& backend) {
    const Storage storage(backend);
    StorageConfig config = storage.config;
    config.batch_max_delay_ms = 300;
    BatchWriter writer(config, exact_retry(3));
    writer.start();
    // The writer's first wait is for work: give its new thread the time to reach it.
    std::this_thread::sleep_for(milliseconds(100));
    const Batches before;
    auto on_the_way = writer.announce();
    Request alone;
    alone.messages = {message("alone")};
    const auto submitted = Steady::now();
    submit(writer, alone, writer.announce());
    await(alone);
    BOOST_TEST((alone.outcome == StoreOutcome::kCommitted));
    BOOST_TEST((alone.answered_at - submitted >= milliseconds(300)),
               "it waited max_delay for the announced request");
    BOOST_TEST((alone.answered_at - submitted < milliseconds(5000)));
    on_the_way.reset();
    BOOST_TEST(before.new_count() == 1);
}

void an_announced_request_that_arrives_joins_the_waiting_batch(const std::string& backend) {
    const Storage storage(backend);
    StorageConfig config = storage.config;
    config.batch_max_delay_ms = 10'000;
    BatchWriter writer(config, exact_retry(3));
    writer.start();
    std::this_thread::sleep_for(milliseconds(100));
    const Batches before;
    auto first_token = writer.announce();
    auto second_token = writer.announce();
    Request first, second;
    first.messages = {message("first")};
    second.messages = {message("second")};
    const auto submitted = Steady::now();
    submit(writer, first, std::move(first_token));
    submit(writer, second, std::move(second_token));
    await(first);
    await(second);
    BOOST_TEST((first.outcome == StoreOutcome::kCommitted));
    BOOST_TEST((second.outcome == StoreOutcome::kCommitted));
    BOOST_TEST(before.new_count() == 1);
    BOOST_TEST(before.new_sum() == 2);
    BOOST_TEST((first.answered_at - submitted < milliseconds(5000)),
               "the last arrival ends the wait, not max_delay");
}

void a_request_nobody_follows_is_committed_at_once(const std::string& backend) {
    const Storage storage(backend);
    StorageConfig config = storage.config;
    config.batch_max_delay_ms = 10'000;
    BatchWriter writer(config, exact_retry(3));
    writer.start();
    std::this_thread::sleep_for(milliseconds(100));
    Request r;
    r.messages = {message("nobody")};
    const auto submitted = Steady::now();
    submit(writer, r);
    await(r);
    BOOST_TEST((r.outcome == StoreOutcome::kCommitted));
    BOOST_TEST((r.answered_at - submitted < milliseconds(5000)));
}

void after_stop_a_request_is_refused_at_once(const std::string& backend) {
    const Storage storage(backend);
    const StorageConfig config = storage.config;
    BatchWriter writer(config, exact_retry(3));
    writer.start();
    writer.stop();
    Request r;
    r.messages = {message("late")};
    submit(writer, r);
    await(r);
    BOOST_TEST((r.outcome == StoreOutcome::kUnavailable));
    BOOST_TEST(r.error == "the gateway is shutting down");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite)

BOOST_AUTO_TEST_CASE(a_request_is_answered_once_its_rows_are_committed) {
    ::a_request_is_answered_once_its_rows_are_committed("sqlite");
}
BOOST_AUTO_TEST_CASE(requests_queued_during_a_commit_share_the_next_transaction) {
    ::requests_queued_during_a_commit_share_the_next_transaction("sqlite");
}
BOOST_AUTO_TEST_CASE(a_transaction_holds_at_most_max_messages) {
    ::a_transaction_holds_at_most_max_messages("sqlite");
}
BOOST_AUTO_TEST_CASE(a_dedup_key_twice_in_one_batch_is_stored_once) {
    ::a_dedup_key_twice_in_one_batch_is_stored_once("sqlite");
}
BOOST_AUTO_TEST_CASE(a_transient_error_is_retried_with_doubling_delays) {
    ::a_transient_error_is_retried_with_doubling_delays();
}
BOOST_AUTO_TEST_CASE(retries_stop_before_the_storage_timeout) {
    ::retries_stop_before_the_storage_timeout();
}
BOOST_AUTO_TEST_CASE(a_failed_storage_answers_every_request_of_the_batch) {
    ::a_failed_storage_answers_every_request_of_the_batch();
}
BOOST_AUTO_TEST_CASE(a_refused_batch_answers_each_request_with_its_own_refusal) {
    ::a_refused_batch_answers_each_request_with_its_own_refusal("sqlite");
}
BOOST_AUTO_TEST_CASE(an_idle_writer_waits_for_announced_requests_up_to_max_delay) {
    ::an_idle_writer_waits_for_announced_requests_up_to_max_delay("sqlite");
}
BOOST_AUTO_TEST_CASE(an_announced_request_that_arrives_joins_the_waiting_batch) {
    ::an_announced_request_that_arrives_joins_the_waiting_batch("sqlite");
}
BOOST_AUTO_TEST_CASE(a_request_nobody_follows_is_committed_at_once) {
    ::a_request_nobody_follows_is_committed_at_once("sqlite");
}
BOOST_AUTO_TEST_CASE(after_stop_a_request_is_refused_at_once) {
    ::after_stop_a_request_is_refused_at_once("sqlite");
}

BOOST_AUTO_TEST_SUITE_END()

// Commits `messages` to the spool file of `config`, as a gateway would have while PostgreSQL was
// down.
static void spool_messages(const StorageConfig& config, std::vector<NormalizedMessage>& messages) {
    std::string raw = "{}";
    std::string content_type = "application/json";
    Spool spool(config);
    std::vector<StoreItem> items;
    items.reserve(messages.size());
    for (NormalizedMessage& m : messages) items.push_back({&m, &raw, &content_type});
    BOOST_REQUIRE((spool.store(items) == Spool::Result::kSpooled));
}

BOOST_AUTO_TEST_SUITE(postgresql)

// A spooled row PostgreSQL refuses for good (here text that is not UTF-8, which SQLite took)
// must neither be lost nor hold back the rows after it: it stays in the spool, the rest drain.
// A primary that refuses every row (read-only after a failover) is the primary's state, not the
// rows': they are not set aside as refused, and drain as soon as it takes writes again.
BOOST_AUTO_TEST_CASE(rows_a_read_only_postgresql_refuses_drain_once_it_takes_writes) {
    Storage storage("postgresql");
    storage.config.spool_path = (storage.dir / "spool.db").string();
    std::vector<NormalizedMessage> messages = {message("ro-1"), message("ro-2"), message("ro-3")};
    spool_messages(storage.config, messages);
    auto [backend, connect] = soci_connection(storage.config);
    soci::session admin(backend, connect);
    std::string name;
    admin << "SELECT current_database()", soci::into(name);
    admin << "ALTER DATABASE \"" + name + "\" SET default_transaction_read_only = on";
    const double failures = metric("memolib_spool_drain_failures_total");
    BatchWriter writer(storage.config, exact_retry(0));
    writer.open_spool();
    writer.start();
    const auto tried_by = Steady::now() + std::chrono::seconds(10);
    while (metric("memolib_spool_drain_failures_total") < failures + 2 && Steady::now() < tried_by)
        std::this_thread::sleep_for(milliseconds(50));
    BOOST_TEST(metric("memolib_spool_drain_failures_total") >= failures + 2,
               "the drainer tried the read-only server twice");
    BOOST_TEST(writer.spool_stats()->depth == 3);
    admin << "ALTER DATABASE \"" + name + "\" RESET default_transaction_read_only";
    const auto deadline = Steady::now() + std::chrono::seconds(10);
    while (writer.spool_stats()->depth > 0 && Steady::now() < deadline)
        std::this_thread::sleep_for(milliseconds(50));
    writer.stop();
    BOOST_TEST(writer.spool_stats()->depth == 0);
    long long rows = 0;
    admin << "SELECT COUNT(*) FROM messages", soci::into(rows);
    BOOST_TEST(rows == 3);
}

BOOST_AUTO_TEST_CASE(a_spooled_row_postgresql_refuses_stays_in_the_spool_and_the_rest_drain) {
    Storage storage("postgresql");
    storage.config.spool_path = (storage.dir / "spool.db").string();
    std::vector<NormalizedMessage> messages = {message("before"), message("refused"),
                                               message("after")};
    messages[1].text = "not UTF-8: \xff\xfe";
    spool_messages(storage.config, messages);
    BatchWriter writer(storage.config, exact_retry(0));
    writer.open_spool();
    BOOST_TEST(writer.spool_stats()->depth == 3);
    writer.start();
    const auto deadline = Steady::now() + std::chrono::seconds(15);
    while (writer.spool_stats()->depth > 1 && Steady::now() < deadline)
        std::this_thread::sleep_for(milliseconds(50));
    writer.stop();
    BOOST_TEST(writer.spool_stats()->depth == 1);
    auto db = memolib::core::Database::open(storage.config);
    MessageQuery all;
    std::vector<std::string> drained;
    for (const StoredMessage& m : db->find_messages(all)) drained.push_back(m.request_id);
    BOOST_TEST(drained == (std::vector<std::string>{"req-before", "req-after"}),
               boost::test_tools::per_element());
    Spool left(storage.config);
    BOOST_TEST(left.oldest(10).at(0).request_id == "req-refused");
}

BOOST_AUTO_TEST_CASE(a_request_is_answered_once_its_rows_are_committed) {
    ::a_request_is_answered_once_its_rows_are_committed("postgresql");
}
BOOST_AUTO_TEST_CASE(requests_queued_during_a_commit_share_the_next_transaction) {
    ::requests_queued_during_a_commit_share_the_next_transaction("postgresql");
}
BOOST_AUTO_TEST_CASE(a_transaction_holds_at_most_max_messages) {
    ::a_transaction_holds_at_most_max_messages("postgresql");
}
BOOST_AUTO_TEST_CASE(a_dedup_key_twice_in_one_batch_is_stored_once) {
    ::a_dedup_key_twice_in_one_batch_is_stored_once("postgresql");
}
BOOST_AUTO_TEST_CASE(a_refused_batch_answers_each_request_with_its_own_refusal) {
    ::a_refused_batch_answers_each_request_with_its_own_refusal("postgresql");
}
BOOST_AUTO_TEST_CASE(an_idle_writer_waits_for_announced_requests_up_to_max_delay) {
    ::an_idle_writer_waits_for_announced_requests_up_to_max_delay("postgresql");
}
BOOST_AUTO_TEST_CASE(an_announced_request_that_arrives_joins_the_waiting_batch) {
    ::an_announced_request_that_arrives_joins_the_waiting_batch("postgresql");
}
BOOST_AUTO_TEST_CASE(a_request_nobody_follows_is_committed_at_once) {
    ::a_request_nobody_follows_is_committed_at_once("postgresql");
}
BOOST_AUTO_TEST_CASE(after_stop_a_request_is_refused_at_once) {
    ::after_stop_a_request_is_refused_at_once("postgresql");
}

BOOST_AUTO_TEST_SUITE_END()
