#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/sha256.hpp"

namespace memolib::core {

struct AttachmentDescriptor {
    std::string name;
    std::string content_type;
    std::int64_t size = -1;
    std::string url;
    std::string provider_id;
};

/// The host's own copy of one normalized message (DESIGN.md, "A normalized message").
struct NormalizedMessage {
    std::string channel;
    std::string provider;
    std::string external_id;
    std::string sender;
    std::string sender_name;
    std::string recipient;
    std::string subject;
    std::string text;
    std::string html;
    std::vector<AttachmentDescriptor> attachments;
    std::int64_t provider_timestamp_ms = 0;
    std::string metadata_json;

    // Filled by the core.
    std::string sender_masked;
    std::string language = "unknown";
    std::string priority = "normal";
    /// The dedup key (stages.hpp, dedup_key()) as its 32 bytes; written as hex only where it
    /// leaves the process: the database column and the JSON answers.
    Sha256Digest dedup_key{};
    std::string request_id;
    std::int64_t received_at_ms = 0;

    /// kSpooled: committed to the local spool while the primary storage was down (its id 0).
    enum class Status { kPending, kStored, kDuplicate, kSpooled };
    Status status = Status::kPending;
    std::int64_t id = 0;
};

/// What verification said of a request. kFailed only when its signature was checked, found
/// wrong, and `verify: report` let it through anyway.
enum class Authenticity { kNotFailed, kFailed };

/// One error detail of a 4xx answer.
struct FieldError {
    std::string field;
    std::string code;
    std::string message;
};

}  // namespace memolib::core
