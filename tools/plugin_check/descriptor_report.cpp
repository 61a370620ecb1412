#include "descriptor_report.hpp"

#include <cstdio>

#include <yaml-cpp/yaml.h>

#include "config/schema.hpp"

namespace memolib::tools {

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
    return out.empty() ? "(none)" : out;
}

bool valid_media_type(const std::string& type) {
    if (type.find('/') == std::string::npos || type.front() == '/' || type.back() == '/') {
        return false;
    }
    for (char c : type) {
        if ((c >= 'A' && c <= 'Z') || c == ';' || c == ' ' || c == '\t') return false;
    }
    return true;
}

}  // namespace

void print_descriptor(const core::LoadedPlugin& p) {
    std::printf("plugin        %s %s (%s), ABI %u.%u\n", p.name.c_str(), p.version.c_str(),
                p.status.c_str(), p.abi_major, p.abi_minor);
    std::printf("file          %s\n", p.file.c_str());
    std::printf("description   %s\n", p.description.c_str());
    std::printf("providers     %s\n", join(p.providers).c_str());
    std::printf("content types %s\n", join(p.content_types).c_str());
    std::printf("defaults      max_body %llu bytes, rate limit %u per %llu ms\n",
                static_cast<unsigned long long>(p.default_max_body), p.default_rate_requests,
                static_cast<unsigned long long>(p.default_rate_window_ms));
    std::printf("hooks         on_create on_destroy on_verify on_parse%s%s\n",
                p.descriptor->on_handshake != nullptr ? " on_handshake" : "",
                p.shapes_answers ? " on_answer" : "");
    std::printf(
        "duplicates    409 for %s, 200 for every other provider\n",
        p.person_facing_providers.empty() ? "none" : join(p.person_facing_providers).c_str());
    std::printf("config        %zu key(s)\n", p.schema.properties.size());
    for (const auto& [key, node] : p.schema.properties) {
        std::string flags = core::type_name(node.type);
        if (node.required) flags += ", required";
        if (node.secret) flags += ", secret";
        if (node.default_value) flags += ", default " + *node.default_value;
        if (!node.enum_values.empty()) flags += ", one of " + join(node.enum_values);
        if (node.minimum) flags += ", minimum " + std::to_string(*node.minimum);
        if (node.maximum) flags += ", maximum " + std::to_string(*node.maximum);
        std::printf("  %-22s %s\n", key.c_str(), flags.c_str());
        std::printf("  %-22s %s\n", "", node.description.c_str());
    }
}

std::vector<std::string> descriptor_problems(const core::LoadedPlugin& p) {
    std::vector<std::string> out;
    if (p.version.empty()) out.emplace_back("the version is empty");
    if (p.description.empty()) out.emplace_back("the description is empty");
    if (p.status != "stable" && p.status != "alpha") {
        out.push_back("the status is '" + p.status + R"(', not "stable" or "alpha")");
    }
    if (p.providers.empty()) out.emplace_back("no provider is declared");
    if (p.content_types.empty()) out.emplace_back("no content type is declared");
    for (const std::string& t : p.content_types) {
        if (!valid_media_type(t)) {
            out.push_back("content type '" + t +
                          "' is not a lower-case media type without parameters");
        }
    }
    if (p.default_max_body == 0) out.emplace_back("default_max_body_bytes is 0");
    if (p.default_rate_requests == 0 || p.default_rate_window_ms == 0) {
        out.emplace_back("the default rate limit has 0 requests or a 0 ms window");
    }
    for (const auto& [key, node] : p.schema.properties) {
        if (node.description.empty()) out.push_back("config key '" + key + "' has no description");
        if (node.type == core::SchemaNode::Type::kObject ||
            node.type == core::SchemaNode::Type::kMap ||
            node.type == core::SchemaNode::Type::kList) {
            // memolib_config_t carries scalars only: the host would never pass this key.
            out.push_back("config key '" + key + "' is a " + core::type_name(node.type) +
                          ", but plugins receive scalar keys only");
        }
    }
    // Validating an empty block applies every default: a default of the wrong type fails here,
    // where the operator would otherwise meet it at start-up.
    std::vector<core::ConfigError> errors;
    core::Validator validator("schema defaults", errors);
    validator.validate(YAML::Node(YAML::NodeType::Map), p.schema, "");
    for (const core::ConfigError& e : errors) {
        if (e.message != "required key is missing") {
            out.push_back("default of '" + e.key + "' does not validate: " + e.message);
        }
    }
    return out;
}

std::vector<std::string> descriptor_warnings(const core::LoadedPlugin& p) {
    std::vector<std::string> out;
    for (const auto& [key, node] : p.schema.properties) {
        if (node.secret && node.default_value) {
            out.push_back("secret key '" + key + "' has a default: it ships inside the plugin");
        }
        if (node.required && node.default_value) {
            out.push_back("key '" + key +
                          "' is required and has a default: the default never applies");
        }
    }
    return out;
}

}  // namespace memolib::tools
