#pragma once

#include <string>

namespace memolib::core {

/// `memolib-gateway schema`: prints every key of the core configuration and of a channel
/// block (path, type, default, allowed values, bounds, required, secret, description) as "md"
/// (the tables docs/configuration.md embeds) or "json". Returns the exit code.
int print_schema(const std::string& format);

/// The Markdown that `schema --format md` prints.
std::string schema_markdown();

/// The JSON that `schema --format json` prints.
std::string schema_json();

}  // namespace memolib::core
