#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace memolib::tools {

/// One expected message of a fixture case: only the fields given are compared.
struct ExpectedMessage {
    /// (field name, expected text); provider_timestamp_ms and attachment_count as decimal.
    std::vector<std::pair<std::string, std::string>> fields;
};

/// One `<case>.case.json` of a fixtures directory (the format is in docs/sdk.md).
struct FixtureCase {
    std::string name;
    std::string file;
    std::string description;
    /// The channel name handed to the plugin; the plugin's name when absent.
    std::string channel;
    /// The channel's config block, as YAML scalars; validated against the plugin's schema.
    std::vector<std::pair<std::string, std::string>> config;

    std::string method = "POST";
    std::string query;
    std::string content_type;
    std::string public_url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::optional<std::int64_t> received_at_ms;

    /// The HTTP status the gateway would answer after verify and parse (200, 400, 401, 415).
    int expect_status = 200;
    /// Compared when present: the count must match, then each listed field.
    std::optional<std::vector<ExpectedMessage>> expect_messages;
    /// Each (field, code) must be among the errors the plugin reported.
    std::vector<std::pair<std::string, std::string>> expect_errors;
    /// expect.answer: the answer the plugin shapes (ABI 1.1 on_answer). Compared when present;
    /// `status` 0 means "the plugin keeps the host's answer".
    struct ExpectedAnswer {
        int status = 0;
        std::optional<std::string> content_type;
        std::optional<std::string> body;
    };
    std::optional<ExpectedAnswer> expect_answer;
};

/// Reads every `*.case.json` of `directory`, sorted by name. Throws std::runtime_error naming
/// the file and the problem when one is malformed.
std::vector<FixtureCase> read_fixture_cases(const std::string& directory);

}  // namespace memolib::tools
