#pragma once

#include "app/json_fields.hpp"
#include "pipeline/message.hpp"
#include "storage/database.hpp"

namespace memolib::core {

/// What the read API shows beyond the message itself; the dry run shows none of it.
struct ReadApiFields {
    /// The row id, first.
    bool id = false;
    /// A list entry: its text and html are cut, and it says whether they were.
    bool list_cuts = false;
    bool text_cut = false;
    bool html_cut = false;
    bool metadata = false;
    /// The raw request as stored (the message by id).
    bool raw = false;
    /// When set, a `source` field last: "spool" for a message not yet in the primary storage.
    const char* source = nullptr;
};

/// Writes a message as JSON: the one form of the dry run (`{}`) and of the read API.
void write_message_json(JsonWriter& w, const StoredMessage& m, const ReadApiFields& extra);

/// The row a parsed message would be stored as, without its raw request: what the dry run
/// shows.
StoredMessage as_stored(const NormalizedMessage& m);

}  // namespace memolib::core
