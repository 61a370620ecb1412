#include "storage/migrations.hpp"

#include <soci/soci.h>

#include "stages/stages.hpp"
#include "util/time_format.hpp"

namespace memolib::core {

namespace {

// Version 2 puts the provider in the dedup key. Every stored row holds what its key is made of
// (channel, provider, external id, or sender, text and provider time), so each key is computed
// again: a provider's re-delivery of a message stored before the upgrade (Meta's, days later)
// is still its duplicate. The new keys stay unique: two rows never shared channel and id (or
// content) before, so they cannot share them with the provider added. Rows go in pages of
// ids, so a large table is never held in memory at once; each page's UPDATE is prepared once.
void rekey_with_provider(soci::session& sql) {
    constexpr int kPage = 500;
    long long after = 0;
    for (;;) {
        struct Row {
            long long id;
            std::string key;
        };
        std::vector<Row> page;
        {
            long long id = 0;
            int limit = kPage;
            std::string channel, provider, external_id, sender, text, timestamp;
            soci::indicator i_ext = soci::i_ok, i_sender = soci::i_ok, i_text = soci::i_ok,
                            i_ts = soci::i_ok;
            soci::statement st =
                // Text only where the key is made of it: a page of e-mails near their body
                // limit would otherwise be held whole in memory.
                (sql.prepare << "SELECT id, channel, provider, external_id, sender, CASE WHEN "
                                "external_id IS NULL OR external_id = '' THEN text END, "
                                "provider_timestamp FROM messages WHERE id > :after ORDER BY id "
                                "LIMIT :page",
                 soci::into(id), soci::into(channel), soci::into(provider),
                 soci::into(external_id, i_ext), soci::into(sender, i_sender),
                 soci::into(text, i_text), soci::into(timestamp, i_ts), soci::use(after),
                 soci::use(limit));
            st.execute();
            while (st.fetch()) {
                NormalizedMessage m;
                m.channel = channel;
                m.provider = provider;
                if (i_ext == soci::i_ok) m.external_id = external_id;
                if (i_sender == soci::i_ok) m.sender = sender;
                if (i_text == soci::i_ok) m.text = text;
                // Written by format_rfc3339_ms, so the milliseconds come back exactly.
                if (i_ts == soci::i_ok) {
                    m.provider_timestamp_ms = parse_rfc3339_ms(timestamp).value_or(0);
                }
                page.push_back({id, to_hex(dedup_key(m))});
            }
        }
        if (page.empty()) return;
        std::string key;
        long long id = 0;
        soci::statement update =
            (sql.prepare << "UPDATE messages SET dedup_key = :k WHERE id = :id", soci::use(key),
             soci::use(id));
        for (Row& row : page) {
            key = std::move(row.key);
            id = row.id;
            update.execute(true);
        }
        after = page.back().id;
    }
}

// Version 4 gives PostgreSQL's columns the types its users query with (times, JSON fields,
// bytes); SQLite keeps its portable TEXT. Stored rows are converted in place, and one odd row
// never stops an upgrade: a JSON column whose text does not parse becomes that text as a JSON
// string (the read API showed it as that string already), and a provider time timestamptz
// cannot hold (before year 1, written by a version that let it through) becomes absent. The
// function bodies hold semicolons, which is why this is not the migration's SQL (it is split
// at each one).
void native_postgresql_columns(soci::session& sql) {
    if (sql.get_backend_name() != "postgresql") return;
    sql << "CREATE FUNCTION pg_temp.memolib_jsonb(value text) RETURNS jsonb LANGUAGE plpgsql "
           "STRICT AS $$ BEGIN RETURN CAST(value AS jsonb); EXCEPTION WHEN others THEN "
           "RETURN to_jsonb(value); END $$";
    sql << "CREATE FUNCTION pg_temp.memolib_timestamptz(value text) RETURNS timestamptz "
           "LANGUAGE plpgsql STRICT AS $$ BEGIN RETURN CAST(value AS timestamptz); EXCEPTION "
           "WHEN others THEN RETURN NULL; END $$";
    sql << "ALTER TABLE messages ALTER COLUMN attachments DROP DEFAULT, "
           "ALTER COLUMN attachments TYPE jsonb USING pg_temp.memolib_jsonb(attachments), "
           "ALTER COLUMN attachments SET DEFAULT '[]', "
           "ALTER COLUMN metadata TYPE jsonb USING pg_temp.memolib_jsonb(metadata), "
           "ALTER COLUMN provider_timestamp TYPE timestamptz "
           "USING pg_temp.memolib_timestamptz(provider_timestamp), "
           "ALTER COLUMN received_at TYPE timestamptz USING CAST(received_at AS timestamptz), "
           "ALTER COLUMN raw_payload TYPE bytea USING CASE WHEN raw_encoding = 'base64' "
           "THEN decode(raw_payload, 'base64') ELSE convert_to(raw_payload, 'UTF8') END";
    sql << "DROP FUNCTION pg_temp.memolib_jsonb(text)";
    sql << "DROP FUNCTION pg_temp.memolib_timestamptz(text)";
}

}  // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> kAll = {
        {1, "create messages",
         R"(CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  provider TEXT NOT NULL,
  external_id TEXT,
  sender TEXT,
  sender_masked TEXT,
  sender_name TEXT,
  recipient TEXT,
  subject TEXT,
  text TEXT,
  html TEXT,
  attachments TEXT NOT NULL DEFAULT '[]',
  provider_timestamp TEXT,
  received_at TEXT NOT NULL,
  language TEXT NOT NULL DEFAULT 'unknown',
  priority TEXT NOT NULL DEFAULT 'normal',
  dedup_key TEXT NOT NULL,
  request_id TEXT NOT NULL,
  metadata TEXT,
  raw_content_type TEXT,
  raw_encoding TEXT NOT NULL,
  raw_payload TEXT NOT NULL,
  CONSTRAINT messages_dedup_key_unique UNIQUE (dedup_key)
);
CREATE INDEX messages_channel_received ON messages (channel, received_at);)",
         R"(CREATE TABLE messages (
  id BIGSERIAL PRIMARY KEY,
  channel TEXT NOT NULL,
  provider TEXT NOT NULL,
  external_id TEXT,
  sender TEXT,
  sender_masked TEXT,
  sender_name TEXT,
  recipient TEXT,
  subject TEXT,
  text TEXT,
  html TEXT,
  attachments TEXT NOT NULL DEFAULT '[]',
  provider_timestamp TEXT,
  received_at TEXT NOT NULL,
  language TEXT NOT NULL DEFAULT 'unknown',
  priority TEXT NOT NULL DEFAULT 'normal',
  dedup_key TEXT NOT NULL,
  request_id TEXT NOT NULL,
  metadata TEXT,
  raw_content_type TEXT,
  raw_encoding TEXT NOT NULL,
  raw_payload TEXT NOT NULL,
  CONSTRAINT messages_dedup_key_unique UNIQUE (dedup_key)
);
CREATE INDEX messages_channel_received ON messages (channel, received_at);)"},
        {2, "dedup keys name the provider", "", "", &rekey_with_provider},
        // The raw body is kept as the messages table keeps raw payloads (raw_encoding utf8 or
        // base64); raw_size is its size in bytes, which pipeline.quarantine.max_size caps.
        {3, "create quarantine",
         R"(CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT '',
  received_at TEXT NOT NULL,
  request_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '[]',
  content_type TEXT NOT NULL DEFAULT '',
  headers TEXT NOT NULL DEFAULT '[]',
  raw_encoding TEXT NOT NULL,
  raw_body TEXT NOT NULL,
  raw_size INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  dedup_key TEXT NOT NULL,
  CONSTRAINT quarantine_dedup_key_unique UNIQUE (dedup_key),
  CONSTRAINT quarantine_state_known CHECK (state IN ('pending', 'reprocessed', 'discarded'))
);
CREATE INDEX quarantine_channel_state ON quarantine (channel, state, id);)",
         R"(CREATE TABLE quarantine (
  id BIGSERIAL PRIMARY KEY,
  channel TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT '',
  received_at TEXT NOT NULL,
  request_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '[]',
  content_type TEXT NOT NULL DEFAULT '',
  headers TEXT NOT NULL DEFAULT '[]',
  raw_encoding TEXT NOT NULL,
  raw_body TEXT NOT NULL,
  raw_size BIGINT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  dedup_key TEXT NOT NULL,
  CONSTRAINT quarantine_dedup_key_unique UNIQUE (dedup_key),
  CONSTRAINT quarantine_state_known CHECK (state IN ('pending', 'reprocessed', 'discarded'))
);
CREATE INDEX quarantine_channel_state ON quarantine (channel, state, id);)"},
        {4, "native PostgreSQL column types", "", "", &native_postgresql_columns},
    };
    return kAll;
}

}  // namespace memolib::core
