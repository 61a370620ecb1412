#include "app/plugins_command.hpp"

#include <cstdio>
#include <string>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "config/schema.hpp"
#include "plugins/plugin_registry.hpp"

namespace memolib::core {

namespace {

std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const std::string& s : items) out += (out.empty() ? "" : sep) + s;
    return out;
}

// Sizes and durations are shown as the operator writes them, not as normalized numbers.
std::string default_text(const SchemaNode& node) {
    if (!node.default_value) return node.required ? "(required)" : "";
    return *node.default_value;
}

void write_json(const LoadedPlugin& p, rapidjson::PrettyWriter<rapidjson::StringBuffer>& w) {
    auto str = [&](const char* key, const std::string& value) {
        w.Key(key);
        w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
    };
    auto list = [&](const char* key, const std::vector<std::string>& values) {
        w.Key(key);
        w.StartArray();
        for (const std::string& v : values)
            w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
        w.EndArray();
    };
    w.StartObject();
    str("name", p.name);
    str("version", p.version);
    str("description", p.description);
    str("status", p.status);
    str("abi", std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor));
    str("file", p.file);
    list("providers", p.providers);
    list("content_types", p.content_types);
    w.Key("default_max_body_bytes");
    w.Uint64(p.default_max_body);
    w.Key("default_rate_limit");
    w.StartObject();
    w.Key("requests");
    w.Uint(p.default_rate_requests);
    w.Key("window_ms");
    w.Uint64(p.default_rate_window_ms);
    w.EndObject();
    w.Key("config");
    w.StartArray();
    for (const auto& [key, node] : p.schema.properties) {
        w.StartObject();
        str("key", key);
        str("type", type_name(node.type));
        if (node.default_value) str("default", *node.default_value);
        w.Key("required");
        w.Bool(node.required);
        w.Key("secret");
        w.Bool(node.secret);
        if (!node.enum_values.empty()) list("enum", node.enum_values);
        str("description", node.description);
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
}

}  // namespace

std::string schema_markdown_table(const SchemaNode& schema) {
    std::string out = "| key | type | default | description |\n| --- | --- | --- | --- |\n";
    for (const auto& [key, node] : schema.properties) {
        std::string type = type_name(node.type);
        if (!node.enum_values.empty()) type += ": " + join(node.enum_values, ", ");
        if (node.secret) type += " (secret)";
        out += "| `" + key + "` | " + markdown_cell(type) + " | " +
               markdown_cell(default_text(node)) + " | " + markdown_cell(node.description) + " |\n";
    }
    return out;
}

int print_plugins(const std::string& directory, const std::string& format,
                  const std::string& only) {
    PluginRegistry registry;
    registry.load_directory(directory);
    std::vector<const LoadedPlugin*> selected;
    for (const auto& [name, plugin] : registry.plugins()) {
        if (only.empty() || name == only) selected.push_back(plugin.get());
    }
    if (!only.empty() && selected.empty()) {
        std::fprintf(stderr, "no plugin named '%s' in %s\n", only.c_str(), directory.c_str());
        return 1;
    }
    std::string out;
    if (format == "json") {
        rapidjson::StringBuffer buf;
        rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
        w.StartArray();
        for (const LoadedPlugin* p : selected) write_json(*p, w);
        w.EndArray();
        out.assign(buf.GetString(), buf.GetSize());
        out += '\n';
    } else if (format == "md-keys") {
        for (const LoadedPlugin* p : selected) out += schema_markdown_table(p->schema);
    } else if (format == "md") {
        for (const LoadedPlugin* p : selected) {
            out += "## " + p->name + " " + p->version + "\n\n" + p->description + "\n\n";
            out += "- providers: " + join(p->providers, ", ") + "\n";
            out += "- content types: " + join(p->content_types, ", ") + "\n";
            out += "- default body limit: " + std::to_string(p->default_max_body) + " bytes\n";
            out += "- default rate limit: " + std::to_string(p->default_rate_requests) + " per " +
                   std::to_string(p->default_rate_window_ms / 1000) + " s\n\n";
            out += schema_markdown_table(p->schema) + "\n";
        }
    } else {
        for (const LoadedPlugin* p : selected) {
            out += p->name + " " + p->version + " (ABI " + std::to_string(p->abi_major) + "." +
                   std::to_string(p->abi_minor) + ", " + p->status + "): " + p->description + "\n";
            out += "  providers: " + join(p->providers, ", ") + "\n";
            for (const auto& [key, node] : p->schema.properties) {
                out += "  " + key + " (" + type_name(node.type) +
                       (node.default_value ? ", default " + *node.default_value : "") +
                       (node.secret ? ", secret" : "") + "): " + node.description + "\n";
            }
        }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return registry.refused().empty() ? 0 : 1;
}

std::string markdown_cell(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '|')
            out += "\\|";
        else if (c == '\n')
            out += ' ';
        else
            out += c;
    }
    return out;
}

}  // namespace memolib::core
