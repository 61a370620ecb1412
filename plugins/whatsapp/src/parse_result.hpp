#pragma once

#include <string>
#include <vector>

#include "memolib/sdk/adapter.hpp"

namespace memolib::plugins::whatsapp {

// One problem found in a request, reported through host.error() as is.
struct FieldError {
    std::string field;
    std::string code;
    std::string message;
};

// What one provider's parser made of a request: the messages to emit when `errors` is empty,
// otherwise nothing is emitted, so that a batch is stored whole or not at all.
struct ParseResult {
    std::vector<sdk::Message> messages;
    std::vector<FieldError> errors;
};

// The most messages one request may carry: the host's own per-request limit.
constexpr std::size_t kMaxMessages = 1000;

// The most error details one answer carries, so that a large broken batch gets a readable answer.
constexpr std::size_t kMaxErrors = 100;

// Appends an error unless kMaxErrors are already recorded.
inline void add_error(std::vector<FieldError>& errors, std::string field, std::string code,
                      std::string message) {
    if (errors.size() < kMaxErrors) {
        errors.push_back({std::move(field), std::move(code), std::move(message)});
    }
}

}  // namespace memolib::plugins::whatsapp
