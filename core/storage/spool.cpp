#include "storage/spool.hpp"

#include <limits>

#include <rapidjson/document.h>

#include "memolib/sdk/signing.hpp"
#include "observability/metrics.hpp"
#include "storage/row_encoding.hpp"
#include "util/time_format.hpp"

namespace memolib::core {

namespace {

StorageConfig spool_storage(const StorageConfig& primary) {
    StorageConfig s = primary;
    s.backend = "sqlite";
    s.url = primary.spool_path;
    s.spool_path.clear();
    return s;
}

std::string json_text(const rapidjson::Value& object, const char* key) {
    auto it = object.FindMember(key);
    if (it == object.MemberEnd() || !it->value.IsString()) return {};
    return {it->value.GetString(), it->value.GetStringLength()};
}

std::vector<AttachmentDescriptor> attachments_from_json(const std::string& json) {
    std::vector<AttachmentDescriptor> out;
    rapidjson::Document doc;
    doc.Parse(json.data(), json.size());
    if (doc.HasParseError() || !doc.IsArray()) return out;
    for (const rapidjson::Value& a : doc.GetArray()) {
        if (!a.IsObject()) continue;
        AttachmentDescriptor d;
        d.name = json_text(a, "name");
        d.content_type = json_text(a, "content_type");
        auto size = a.FindMember("size");
        if (size != a.MemberEnd() && size->value.IsInt64()) d.size = size->value.GetInt64();
        d.url = json_text(a, "url");
        d.provider_id = json_text(a, "provider_id");
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace

bool message_from_row(const StoredMessage& row, NormalizedMessage& m, std::string& raw_payload,
                      std::string& content_type) {
    m.channel = row.channel;
    m.provider = row.provider;
    m.external_id = row.external_id;
    m.sender = row.sender;
    m.sender_name = row.sender_name;
    m.recipient = row.recipient;
    m.subject = row.subject;
    m.text = row.text;
    m.html = row.html;
    m.attachments = attachments_from_json(row.attachments_json);
    m.provider_timestamp_ms = parse_rfc3339_ms(row.provider_timestamp).value_or(0);
    m.metadata_json = row.metadata_json;
    m.sender_masked = row.sender_masked;
    m.language = row.language;
    m.priority = row.priority;
    const std::optional<std::string> key = sdk::hex_decode(row.dedup_key);
    const std::optional<std::int64_t> received = parse_rfc3339_ms(row.received_at);
    if (!key || key->size() != m.dedup_key.size() || !received) return false;
    std::copy(key->begin(), key->end(), m.dedup_key.begin());
    m.request_id = row.request_id;
    m.received_at_ms = *received;
    raw_payload = decode_raw(row.raw_encoding, row.raw_payload);
    content_type = row.raw_content_type;
    return true;
}

Spool::Spool(const StorageConfig& storage)
    : storage_(spool_storage(storage)), max_bytes_(storage.spool_max_bytes) {}

Spool::~Spool() = default;

Database& Spool::db() {
    if (!db_) {
        auto db = Database::open(storage_);
        db->migrate();
        db_ = std::move(db);
    }
    return *db_;
}

template <typename Work>
auto Spool::with_db(Work&& work) {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
        return work(db());
    } catch (const StorageError&) {
        // A connection that failed (a full disk, an I/O error) is opened again next time.
        db_.reset();
        throw;
    }
}

void Spool::note_bytes(Database& spool, std::uint64_t written) {
    // Committed: a figure that cannot be read now must not turn that into a failure.
    try {
        bytes_ = spool.used_bytes();
    } catch (const StorageError&) {
        bytes_ += written;
    }
    publish();
}

Spool::Result Spool::store(std::vector<StoreItem>& items) {
    return with_db([&](Database& spool) {
        // What the rows will take at most: a payload that is not text is stored as base64,
        // and each row has its fixed columns and its index entries besides.
        constexpr std::uint64_t kRowOverhead = 1024;
        std::uint64_t incoming = 0;
        for (const StoreItem& item : items) {
            const NormalizedMessage& m = *item.message;
            incoming += item.raw_payload->size() * 4 / 3 + m.text.size() + m.html.size() +
                        m.subject.size() + m.metadata_json.size() +
                        m.attachments.size() * kRowOverhead + kRowOverhead;
        }
        // The cap counts the rows' pages, what the file holds now, not what was ever written.
        if (spool.used_bytes() + incoming > max_bytes_) return Result::kFull;
        spool.insert_batch(items);
        std::int64_t added = 0;
        for (StoreItem& item : items) {
            if (item.message->status == NormalizedMessage::Status::kStored) {
                ++added;
                if (oldest_ms_.load() == 0) oldest_ms_ = item.message->received_at_ms;
            }
            item.message->status = NormalizedMessage::Status::kSpooled;
            item.message->id = 0;
        }
        depth_ += added;
        note_bytes(spool, incoming);
        return Result::kSpooled;
    });
}

std::vector<StoredMessage> Spool::oldest(int limit, std::int64_t after_id) {
    MessageQuery q;
    q.limit = limit;
    q.after_id = after_id;
    q.with_raw_payload = true;
    return with_db([&](Database& spool) { return spool.find_messages(q); });
}

void Spool::remove(const std::vector<std::int64_t>& ids) {
    with_db([&](Database& spool) {
        depth_ -= spool.delete_messages(ids);
        // Rows are appended in the order they arrive: the lowest id left is the oldest.
        MessageQuery first;
        first.limit = 1;
        first.max_text_chars = 1;
        const std::vector<StoredMessage> left = spool.find_messages(first);
        oldest_ms_ = left.empty() ? 0 : parse_rfc3339_ms(left.front().received_at).value_or(0);
        note_bytes(spool, 0);
    });
}

void Spool::refresh() {
    with_db([&](Database& spool) {
        const MessagesSummary summary = spool.messages_summary();
        depth_ = summary.count;
        oldest_ms_ = parse_rfc3339_ms(summary.oldest_received_at).value_or(0);
        std::int64_t quarantined = 0;
        for (const auto& [channel, n] : spool.quarantine_pending()) quarantined += n;
        quarantined_ = quarantined;
        note_bytes(spool, 0);
    });
}

QuarantineInsert Spool::store_quarantine(QuarantineEntry& entry) {
    return with_db([&](Database& spool) {
        constexpr std::uint64_t kEntryOverhead = 2048;
        const std::uint64_t incoming = entry.raw_body.size() * 4 / 3 + entry.headers_json.size() +
                                       entry.details_json.size() + kEntryOverhead;
        if (spool.used_bytes() + incoming > max_bytes_) return QuarantineInsert::kFull;
        // The spool's cap is the only one here: the quarantine's own applies when it drains.
        const QuarantineInsert result =
            spool.insert_quarantine(entry, std::numeric_limits<std::uint64_t>::max());
        if (result == QuarantineInsert::kInserted) ++quarantined_;
        note_bytes(spool, incoming);
        return result;
    });
}

std::vector<QuarantineEntry> Spool::oldest_quarantine(int limit) {
    QuarantineQuery q;
    q.limit = limit;
    return with_db([&](Database& spool) {
        std::vector<QuarantineEntry> out;
        // Entries are rare: one query for each body is no burden.
        for (const QuarantineEntry& listed : spool.find_quarantine(q)) {
            if (auto whole = spool.find_quarantine_entry(listed.id))
                out.push_back(std::move(*whole));
        }
        return out;
    });
}

void Spool::remove_quarantine(std::int64_t id) {
    with_db([&](Database& spool) {
        spool.delete_quarantine_entry(id);
        --quarantined_;
        note_bytes(spool, 0);
    });
}

void Spool::publish() const {
    metrics().set("memolib_spool_depth", {}, static_cast<double>(depth_.load()));
    metrics().set("memolib_spool_bytes", {}, static_cast<double>(bytes_.load()));
    metrics().set("memolib_spool_quarantined", {}, static_cast<double>(quarantined_.load()));
}

SpoolStats Spool::stats() const {
    return {depth_.load(), oldest_ms_.load(), bytes_.load(), max_bytes_, quarantined_.load()};
}

}  // namespace memolib::core
