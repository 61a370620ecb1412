#include "storage/migrations.hpp"

namespace memolib::core {

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
    };
    return kAll;
}

}  // namespace memolib::core
