#include "storage/spool.hpp"

#include <unistd.h>

#include <filesystem>

#include <boost/test/unit_test.hpp>
#include <soci/soci.h>

#include "storage/row_encoding.hpp"
#include "util/sha256.hpp"
#include "util/time_format.hpp"

using namespace memolib::core;
namespace fs = std::filesystem;

namespace {

fs::path spool_dir() {
    return fs::temp_directory_path() / ("memolib_spool_test_" + std::to_string(::getpid()));
}

struct RemoveSpoolFiles {
    ~RemoveSpoolFiles() {
        std::error_code ec;
        fs::remove_all(spool_dir(), ec);
    }
};
BOOST_TEST_GLOBAL_FIXTURE(RemoveSpoolFiles);

// A PostgreSQL storage whose spool is a fresh file; the PostgreSQL URL is never used here.
StorageConfig primary_with_spool(std::uint64_t max_bytes = 1ULL << 30) {
    static int n = 0;
    fs::create_directories(spool_dir());
    StorageConfig c;
    c.backend = "postgresql";
    c.url = "postgresql://nobody@127.0.0.1:1/none";
    c.spool_path = (spool_dir() / ("s" + std::to_string(n++) + ".db")).string();
    c.spool_max_bytes = max_bytes;
    return c;
}

long long rows_in(const std::string& path) {
    soci::session s("sqlite3", "db=" + path);
    long long n = 0;
    s << "SELECT COUNT(*) FROM messages", soci::into(n);
    return n;
}

NormalizedMessage message(const std::string& key, std::int64_t received_at_ms) {
    NormalizedMessage m;
    m.channel = "sms";
    m.provider = "twilio";
    m.sender = "+33612345678";
    m.sender_masked = "+336*****678";
    m.text = "Bonjour, urgent : " + key;
    m.dedup_key = sha256({key});
    m.request_id = "req-" + key;
    m.received_at_ms = received_at_ms;
    return m;
}

struct Request {
    NormalizedMessage message;
    std::string raw = "Body=Bonjour&From=%2B33612345678";
    std::string content_type = "application/x-www-form-urlencoded";
};

Spool::Result store(Spool& spool, std::vector<Request>& requests) {
    std::vector<StoreItem> items;
    items.reserve(requests.size());
    for (Request& r : requests) items.push_back({&r.message, &r.raw, &r.content_type});
    return spool.store(items);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite)

BOOST_AUTO_TEST_CASE(a_spooled_message_comes_back_as_it_was_received) {
    Spool spool(primary_with_spool());
    std::vector<Request> requests(1);
    NormalizedMessage& m = requests[0].message;
    m = message("full", 1764892800123);
    m.external_id = "SM123";
    m.sender_name = "Jeanne";
    m.recipient = "+33700000000";
    m.subject = "Sujet";
    m.html = "<p>Bonjour</p>";
    m.attachments.push_back({"photo.jpg", "image/jpeg", 2048, "https://api.twilio.com/m/1", ""});
    m.attachments.push_back({"scan.pdf", "application/pdf", -1, "", "media-7"});
    m.provider_timestamp_ms = 1764892799000;
    m.metadata_json = R"({"num_media":"2","account":"AC1"})";
    m.language = "fr";
    m.priority = "high";
    // Bytes that are not UTF-8 text, as a multipart e-mail's may be.
    static constexpr char kBinary[] = "--b\r\n\0\xff\xfe binary";
    requests[0].raw = std::string(kBinary, sizeof kBinary - 1);
    requests[0].content_type = "multipart/form-data; boundary=b";
    const NormalizedMessage sent = m;

    BOOST_TEST((store(spool, requests) == Spool::Result::kSpooled));
    BOOST_TEST((m.status == NormalizedMessage::Status::kSpooled));
    BOOST_TEST(m.id == 0);

    std::vector<StoredMessage> rows = spool.oldest(10);
    BOOST_REQUIRE_EQUAL(rows.size(), 1U);
    std::string raw, content_type;
    NormalizedMessage back;
    BOOST_TEST(message_from_row(rows[0], back, raw, content_type));
    BOOST_TEST(raw == requests[0].raw);
    BOOST_TEST(content_type == requests[0].content_type);
    BOOST_TEST(to_hex(back.dedup_key) == to_hex(sent.dedup_key));
    BOOST_TEST(back.received_at_ms == sent.received_at_ms);
    BOOST_TEST(back.provider_timestamp_ms == sent.provider_timestamp_ms);
    BOOST_TEST(back.request_id == sent.request_id);
    for (auto field :
         {&NormalizedMessage::channel, &NormalizedMessage::provider,
          &NormalizedMessage::external_id, &NormalizedMessage::sender,
          &NormalizedMessage::sender_name, &NormalizedMessage::recipient,
          &NormalizedMessage::subject, &NormalizedMessage::text, &NormalizedMessage::html,
          &NormalizedMessage::metadata_json, &NormalizedMessage::sender_masked,
          &NormalizedMessage::language, &NormalizedMessage::priority}) {
        BOOST_TEST((back.*field) == (sent.*field));
    }
    BOOST_TEST(attachments_to_json(back) == attachments_to_json(sent));
}

// A row whose dedup key or time cannot be read back is not drained: stored with a made-up key,
// it could pass for a duplicate of another and leave the spool, lost.
BOOST_AUTO_TEST_CASE(a_row_whose_key_or_time_cannot_be_read_back_is_not_a_message) {
    Spool spool(primary_with_spool());
    std::vector<Request> requests(2);
    requests[0].message = message("bad-key", now_ms());
    requests[1].message = message("bad-time", now_ms());
    BOOST_REQUIRE((store(spool, requests) == Spool::Result::kSpooled));
    {
        soci::session s("sqlite3", "db=" + spool.path());
        s << "UPDATE messages SET dedup_key = 'not hex' WHERE request_id = 'req-bad-key'";
        s << "UPDATE messages SET received_at = 'yesterday' WHERE request_id = 'req-bad-time'";
    }
    for (const StoredMessage& row : spool.oldest(10)) {
        NormalizedMessage m;
        std::string raw, content_type;
        BOOST_TEST(!message_from_row(row, m, raw, content_type), row.request_id);
    }
}

BOOST_AUTO_TEST_CASE(a_message_spooled_twice_is_one_row) {
    Spool spool(primary_with_spool());
    std::vector<Request> first(1);
    first[0].message = message("twice", now_ms());
    std::vector<Request> again = first;
    BOOST_TEST((store(spool, first) == Spool::Result::kSpooled));
    BOOST_TEST((store(spool, again) == Spool::Result::kSpooled));
    BOOST_TEST((again[0].message.status == NormalizedMessage::Status::kSpooled));
    BOOST_TEST(spool.stats().depth == 1);
    BOOST_TEST(rows_in(spool.path()) == 1);
}

BOOST_AUTO_TEST_CASE(at_its_cap_the_spool_refuses_a_batch_and_writes_none_of_it) {
    constexpr std::uint64_t kCap = 256ULL * 1024;
    Spool spool(primary_with_spool(kCap));
    int spooled = 0;
    Spool::Result last = Spool::Result::kSpooled;
    for (int i = 0; i < 100 && last == Spool::Result::kSpooled; ++i) {
        std::vector<Request> batch(2);
        for (int j = 0; j < 2; ++j) {
            batch[j].message =
                message("cap-" + std::to_string(i) + "-" + std::to_string(j), now_ms());
            batch[j].message.text.append(20000, 'x');
        }
        last = store(spool, batch);
        if (last == Spool::Result::kSpooled) spooled += 2;
        for (const Request& r : batch) {
            BOOST_TEST((r.message.status == (last == Spool::Result::kSpooled
                                                 ? NormalizedMessage::Status::kSpooled
                                                 : NormalizedMessage::Status::kPending)));
        }
    }
    BOOST_TEST((last == Spool::Result::kFull), "the cap was reached after " << spooled);
    BOOST_TEST(spooled > 0);
    BOOST_TEST(spool.stats().depth == spooled);
    BOOST_TEST(rows_in(spool.path()) == spooled);
    BOOST_TEST(spool.stats().bytes <= kCap);
}

BOOST_AUTO_TEST_CASE(a_new_process_reads_depth_and_oldest_from_the_file) {
    const StorageConfig config = primary_with_spool();
    const std::int64_t t0 = 1764892800000;
    {
        Spool spool(config);
        std::vector<Request> batch(3);
        for (int i = 0; i < 3; ++i)
            batch[i].message = message("crash-" + std::to_string(i), t0 + i);
        BOOST_TEST((store(spool, batch) == Spool::Result::kSpooled));
    }
    Spool after(config);
    BOOST_TEST(after.stats().depth == 0, "nothing is read before refresh()");
    after.refresh();
    BOOST_TEST(after.stats().depth == 3);
    BOOST_TEST(after.stats().oldest_received_ms == t0);

    std::vector<StoredMessage> rows = after.oldest(2);
    BOOST_REQUIRE_EQUAL(rows.size(), 2U);
    BOOST_TEST(rows[0].request_id == "req-crash-0", "oldest first");
    after.remove({rows[0].id, rows[1].id});
    BOOST_TEST(after.stats().depth == 1);
    BOOST_TEST(after.stats().oldest_received_ms == t0 + 2);
    BOOST_TEST(after.oldest(10, rows[1].id).size() == 1U);
}

BOOST_AUTO_TEST_SUITE_END()
