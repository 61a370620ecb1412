#include "app/schema_command.hpp"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "app/plugins_command.hpp"
#include "config/gateway_config.hpp"
#include "config/schema.hpp"

namespace memolib::core {

namespace {

/// One documented key: its dotted path and its schema node.
struct KeyRow {
    std::string path;
    const SchemaNode* node;
};

// A channel is a map entry whose name the operator chooses; the docs spell it `<name>`.
constexpr const char* kChannelPrefix = "channels.<name>";

void collect(const SchemaNode& node, const std::string& path, std::vector<KeyRow>& out) {
    for (const auto& [key, child] : node.properties) {
        std::string child_path = path;
        if (!child_path.empty()) child_path += '.';
        child_path += key;
        out.push_back({child_path, &child});
        if (child.type == SchemaNode::Type::kObject) collect(child, child_path, out);
    }
}

std::vector<KeyRow> core_rows() {
    std::vector<KeyRow> rows;
    collect(core_schema(), "", rows);
    return rows;
}

std::vector<KeyRow> channel_rows() {
    std::vector<KeyRow> rows;
    collect(channel_core_schema(), kChannelPrefix, rows);
    return rows;
}

std::string type_text(const SchemaNode& node) {
    std::string type = type_name(node.type);
    if ((node.type == SchemaNode::Type::kList || node.type == SchemaNode::Type::kMap) &&
        node.items) {
        type += " of " + std::string(type_name(node.items->type));
    }
    return type;
}

// The enum of a list applies to its items; that is what an operator may write.
const std::vector<std::string>& allowed_values(const SchemaNode& node) {
    if (node.enum_values.empty() && node.type == SchemaNode::Type::kList && node.items)
        return node.items->enum_values;
    return node.enum_values;
}

// Bounds are stored in bytes and milliseconds; they are shown in the units operators write.
std::string bound_text(const SchemaNode& node, double value) {
    const auto whole = static_cast<long long>(std::llround(value));
    const bool integral = std::fabs(value - static_cast<double>(whole)) < 1e-9;
    if (integral && node.type == SchemaNode::Type::kSize) {
        constexpr long long kMiB = 1024LL * 1024;
        if (whole != 0 && whole % kMiB == 0) return std::to_string(whole / kMiB) + "MiB";
        if (whole != 0 && whole % 1024 == 0) return std::to_string(whole / 1024) + "KiB";
        return std::to_string(whole) + "B";
    }
    if (integral && node.type == SchemaNode::Type::kDuration) {
        if (whole != 0 && whole % 3600000 == 0) return std::to_string(whole / 3600000) + "h";
        if (whole != 0 && whole % 60000 == 0) return std::to_string(whole / 60000) + "m";
        if (whole != 0 && whole % 1000 == 0) return std::to_string(whole / 1000) + "s";
        return std::to_string(whole) + "ms";
    }
    if (integral) return std::to_string(whole);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", value);
    return buf;
}

std::string allowed_text(const SchemaNode& node) {
    std::string out;
    for (const std::string& v : allowed_values(node)) out += (out.empty() ? "" : ", ") + v;
    if (node.minimum && node.maximum) {
        out += (out.empty() ? "" : "; ") + bound_text(node, *node.minimum) + " to " +
               bound_text(node, *node.maximum);
    } else if (node.minimum) {
        out += (out.empty() ? "≥ " : "; ≥ ") + bound_text(node, *node.minimum);
    } else if (node.maximum) {
        out += (out.empty() ? "≤ " : "; ≤ ") + bound_text(node, *node.maximum);
    }
    return out;
}

std::string markdown_table(const std::vector<KeyRow>& rows) {
    std::string out =
        "| key | type | default | allowed | description |\n| --- | --- | --- | --- | --- |\n";
    for (const KeyRow& row : rows) {
        const SchemaNode& n = *row.node;
        std::string type = type_text(n);
        if (n.secret) type += " (secret)";
        std::string value = n.default_value ? *n.default_value : "";
        if (n.default_items) {
            for (const std::string& item : *n.default_items)
                value += (value.empty() ? "" : ", ") + item;
            value.insert(0, 1, '[');
            value += ']';
        }
        if (n.required) value = "(required)";
        out += "| `" + row.path + "` | " + markdown_cell(type) + " | " + markdown_cell(value) +
               " | " + markdown_cell(allowed_text(n)) + " | " + markdown_cell(n.description) +
               " |\n";
    }
    return out;
}

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void write_string(Writer& w, const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_rows(Writer& w, const std::vector<KeyRow>& rows) {
    w.StartArray();
    for (const KeyRow& row : rows) {
        const SchemaNode& n = *row.node;
        w.StartObject();
        write_string(w, "key", row.path);
        write_string(w, "type", type_name(n.type));
        if (n.items) write_string(w, "items", type_name(n.items->type));
        if (n.default_value) write_string(w, "default", *n.default_value);
        if (n.default_items) {
            w.Key("default");
            w.StartArray();
            for (const std::string& v : *n.default_items)
                w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
            w.EndArray();
        }
        if (!allowed_values(n).empty()) {
            w.Key("enum");
            w.StartArray();
            for (const std::string& v : allowed_values(n))
                w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
            w.EndArray();
        }
        if (n.minimum) {
            w.Key("minimum");
            w.Double(*n.minimum);
        }
        if (n.maximum) {
            w.Key("maximum");
            w.Double(*n.maximum);
        }
        w.Key("required");
        w.Bool(n.required);
        w.Key("secret");
        w.Bool(n.secret);
        write_string(w, "description", n.description);
        w.EndObject();
    }
    w.EndArray();
}

}  // namespace

std::string schema_markdown() {
    return "### Gateway keys\n\n" + markdown_table(core_rows()) +
           "\n### Channel keys\n\nEach entry of `channels` takes these keys, and those of its "
           "plugin.\n\n" +
           markdown_table(channel_rows());
}

std::string schema_json() {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("core");
    write_rows(w, core_rows());
    w.Key("channel");
    write_rows(w, channel_rows());
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

int print_schema(const std::string& format) {
    const std::string out = format == "json" ? schema_json() : schema_markdown();
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
}

}  // namespace memolib::core
