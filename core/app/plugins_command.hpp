#pragma once

#include <string>

namespace memolib::core {

struct SchemaNode;

/// `memolib-gateway plugins`: loads every plugin of `directory` and prints, for each (or for
/// `only` when not empty), its descriptor and config keys as "text", "json" or "md"
/// ("md-keys" prints only the Markdown table of config keys, which the plugin READMEs embed).
/// Returns the exit code.
int print_plugins(const std::string& directory, const std::string& format, const std::string& only);

/// `text` made safe for one cell of a Markdown table.
std::string markdown_cell(const std::string& text);

/// Renders the config keys of a schema as a Markdown table.
std::string schema_markdown_table(const SchemaNode& schema);

}  // namespace memolib::core
