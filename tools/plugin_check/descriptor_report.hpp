#pragma once

#include <string>
#include <vector>

#include "plugins/plugin_registry.hpp"

namespace memolib::tools {

/// Prints what the plugin declares: identity, ABI, providers, media types, default limits,
/// hooks and the config schema, one key per line.
void print_descriptor(const core::LoadedPlugin& plugin);

/// What is wrong with the descriptor or the schema beyond what the loader already refuses:
/// empty identity fields, an unknown status, no provider or media type, a media type with
/// parameters or capitals, zero default limits, a key without a description, a default that
/// does not validate against its own type.
std::vector<std::string> descriptor_problems(const core::LoadedPlugin& plugin);

/// Suspicious but legal choices (a secret with a default, a required key with a default).
std::vector<std::string> descriptor_warnings(const core::LoadedPlugin& plugin);

}  // namespace memolib::tools
