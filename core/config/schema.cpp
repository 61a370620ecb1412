#include "config/schema.hpp"

#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

#include "config/units.hpp"

namespace memolib::core {

std::string ConfigError::to_string() const {
    std::string out = file;
    if (mark.line > 0) out += ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column);
    out += ": ";
    if (!key.empty()) out += "key '" + key + "': ";
    out += message;
    return out;
}

const ConfigValue* ConfigValue::find(std::string_view key) const {
    for (const auto& [k, v] : entries) {
        if (k == key) return &v;
    }
    return nullptr;
}

std::string ConfigValue::get(std::string_view key, const std::string& fallback) const {
    const ConfigValue* v = find(key);
    return v != nullptr && v->kind == Kind::kScalar ? v->scalar : fallback;
}

long long ConfigValue::get_int(std::string_view key, long long fallback) const {
    const ConfigValue* v = find(key);
    if (v == nullptr || v->kind != Kind::kScalar) return fallback;
    return std::strtoll(v->scalar.c_str(), nullptr, 10);
}

double ConfigValue::get_number(std::string_view key, double fallback) const {
    const ConfigValue* v = find(key);
    if (v == nullptr || v->kind != Kind::kScalar) return fallback;
    return std::strtod(v->scalar.c_str(), nullptr);
}

const ConfigValue& ConfigValue::at(std::string_view key) const {
    const ConfigValue* v = find(key);
    if (v == nullptr) {
        throw std::logic_error("config key '" + std::string(key) +
                               "' has no value: its schema gives it no default");
    }
    return *v;
}

const std::string& ConfigValue::text(std::string_view key) const { return at(key).scalar; }

long long ConfigValue::integer(std::string_view key) const {
    return std::strtoll(at(key).scalar.c_str(), nullptr, 10);
}

double ConfigValue::number(std::string_view key) const {
    return std::strtod(at(key).scalar.c_str(), nullptr);
}

std::vector<std::string> ConfigValue::strings(std::string_view key) const {
    std::vector<std::string> out;
    for (const ConfigValue& item : at(key).items) out.push_back(item.scalar);
    return out;
}

const SchemaNode* SchemaNode::property(std::string_view key) const {
    for (const auto& [k, v] : properties) {
        if (k == key) return &v;
    }
    return nullptr;
}

const char* type_name(SchemaNode::Type type) {
    switch (type) {
        case SchemaNode::Type::kString:
            return "string";
        case SchemaNode::Type::kInteger:
            return "integer";
        case SchemaNode::Type::kNumber:
            return "number";
        case SchemaNode::Type::kBoolean:
            return "boolean";
        case SchemaNode::Type::kSize:
            return "size";
        case SchemaNode::Type::kDuration:
            return "duration";
        case SchemaNode::Type::kObject:
            return "object";
        case SchemaNode::Type::kMap:
            return "map";
        case SchemaNode::Type::kList:
            return "list";
    }
    return "string";
}

namespace {

SourceMark mark_of(const YAML::Node& node) {
    YAML::Mark m = node.Mark();
    if (m.is_null()) return {};
    return {m.line + 1, m.column + 1};
}

std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

SchemaNode::Type parse_type(const std::string& text, const std::string& path) {
    static const std::pair<const char*, SchemaNode::Type> kTypes[] = {
        {"string", SchemaNode::Type::kString}, {"integer", SchemaNode::Type::kInteger},
        {"number", SchemaNode::Type::kNumber}, {"boolean", SchemaNode::Type::kBoolean},
        {"size", SchemaNode::Type::kSize},     {"duration", SchemaNode::Type::kDuration},
        {"object", SchemaNode::Type::kObject}, {"map", SchemaNode::Type::kMap},
        {"list", SchemaNode::Type::kList}};
    for (const auto& [name, type] : kTypes) {
        if (text == name) return type;
    }
    throw std::runtime_error("schema key '" + path + "': unknown type '" + text + "'");
}

bool parse_bool(const std::string& text, bool& out) {
    if (text == "true" || text == "yes" || text == "on") {
        out = true;
        return true;
    }
    if (text == "false" || text == "no" || text == "off") {
        out = false;
        return true;
    }
    return false;
}

}  // namespace

SchemaNode parse_schema(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) throw std::runtime_error("schema key '" + path + "': expected a map");
    SchemaNode out;
    for (const auto& kv : node) {
        const auto key = kv.first.as<std::string>();
        const YAML::Node& v = kv.second;
        if (key == "type") {
            out.type = parse_type(v.as<std::string>(), path);
        } else if (key == "required") {
            out.required = v.as<bool>();
        } else if (key == "secret") {
            out.secret = v.as<bool>();
        } else if (key == "default") {
            if (v.IsSequence()) {
                out.default_items.emplace();
                for (const auto& item : v) {
                    if (!item.IsScalar()) {
                        throw std::runtime_error("schema key '" + path +
                                                 "': a list default holds scalars");
                    }
                    out.default_items->push_back(item.as<std::string>());
                }
            } else if (v.IsScalar()) {
                out.default_value = v.as<std::string>();
            } else {
                throw std::runtime_error("schema key '" + path +
                                         "': default must be a scalar or a list");
            }
        } else if (key == "enum") {
            for (const auto& e : v) out.enum_values.push_back(e.as<std::string>());
        } else if (key == "minimum") {
            out.minimum = v.as<double>();
        } else if (key == "maximum") {
            out.maximum = v.as<double>();
        } else if (key == "description") {
            out.description = v.as<std::string>();
        } else if (key == "additional_properties") {
            out.additional_properties = v.as<bool>();
        } else if (key == "properties") {
            if (!v.IsMap())
                throw std::runtime_error("schema key '" + path + "': properties must be a map");
            for (const auto& p : v) {
                auto name = p.first.as<std::string>();
                out.properties.emplace_back(name, parse_schema(p.second, join(path, name)));
            }
        } else if (key == "items" || key == "values") {
            out.items = std::make_shared<SchemaNode>(parse_schema(v, path + "[]"));
        } else {
            throw std::runtime_error("schema key '" + path + "': unknown schema keyword '" +
                                         std::string(key) += "'");
        }
    }
    if ((out.type == SchemaNode::Type::kList || out.type == SchemaNode::Type::kMap) && !out.items) {
        throw std::runtime_error("schema key '" + path + "': a list or map needs items");
    }
    if ((out.default_items && out.type != SchemaNode::Type::kList) ||
        (out.default_value && out.type == SchemaNode::Type::kList)) {
        throw std::runtime_error("schema key '" + path + "': only a list has a list default");
    }
    return out;
}

SchemaNode parse_flat_schema(std::string_view yaml_text) {
    SchemaNode out;
    out.type = SchemaNode::Type::kObject;
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml_text));
    } catch (const YAML::Exception& e) {
        throw std::runtime_error(std::string("schema is not YAML: ") + e.what());
    }
    if (root.IsNull()) return out;
    if (!root.IsMap()) throw std::runtime_error("schema must be a map from key to {type, …}");
    for (const auto& p : root) {
        auto name = p.first.as<std::string>();
        out.properties.emplace_back(name, parse_schema(p.second, name));
    }
    return out;
}

bool substitute_env(const std::string& text, std::string& out, std::string& missing) {
    out.clear();
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t start = text.find("${", i);
        if (start == std::string::npos) {
            out.append(text, i, std::string::npos);
            break;
        }
        std::size_t end = text.find('}', start + 2);
        if (end == std::string::npos) {
            out.append(text, i, std::string::npos);
            break;
        }
        out.append(text, i, start - i);
        std::string inner = text.substr(start + 2, end - start - 2);
        std::string name = inner;
        std::optional<std::string> fallback;
        if (std::size_t sep = inner.find(":-"); sep != std::string::npos) {
            name = inner.substr(0, sep);
            fallback = inner.substr(sep + 2);
        }
        const char* value = std::getenv(name.c_str());
        if (value != nullptr && (*value != '\0' || !fallback)) {
            out += value;
        } else if (fallback) {
            out += *fallback;
        } else {
            missing = name;
            return false;
        }
        i = end + 1;
    }
    return true;
}

void Validator::error(SourceMark mark, const std::string& key, const std::string& message) {
    errors_.push_back({file_, mark, key, message});
}

ConfigValue Validator::validate_scalar(const std::string& raw, SourceMark mark,
                                       const SchemaNode& schema, const std::string& path) {
    ConfigValue out;
    out.kind = ConfigValue::Kind::kScalar;
    out.mark = mark;
    std::string text;
    std::string missing;
    if (!substitute_env(raw, text, missing)) {
        error(mark, path, "environment variable " + missing + " is not set");
        return out;
    }
    auto check_range = [&](double v, const char* what) {
        if ((schema.minimum && v < *schema.minimum) || (schema.maximum && v > *schema.maximum)) {
            std::string range = "[" + (schema.minimum ? std::to_string(*schema.minimum) : "") +
                                ", " + (schema.maximum ? std::to_string(*schema.maximum) : "") +
                                "]";
            error(mark, path, std::string(what) + " " + text + " is out of range " + range);
        }
    };
    switch (schema.type) {
        case SchemaNode::Type::kString:
            out.scalar = text;
            break;
        case SchemaNode::Type::kInteger: {
            char* end = nullptr;
            long long v = std::strtoll(text.c_str(), &end, 10);
            if (text.empty() || end != text.c_str() + text.size()) {
                error(mark, path, "expected an integer, got '" + text + "'");
                return out;
            }
            check_range(static_cast<double>(v), "value");
            out.scalar = std::to_string(v);
            break;
        }
        case SchemaNode::Type::kNumber: {
            char* end = nullptr;
            double v = std::strtod(text.c_str(), &end);
            if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
                error(mark, path, "expected a number, got '" + text + "'");
                return out;
            }
            check_range(v, "value");
            out.scalar = text;
            break;
        }
        case SchemaNode::Type::kBoolean: {
            bool b = false;
            if (!parse_bool(text, b)) {
                error(mark, path, "expected true or false, got '" + text + "'");
                return out;
            }
            out.scalar = b ? "true" : "false";
            break;
        }
        case SchemaNode::Type::kSize: {
            auto v = parse_size(text);
            if (!v) {
                error(mark, path, "expected a size such as 512KiB or 10MiB, got '" + text + "'");
                return out;
            }
            check_range(static_cast<double>(*v), "size");
            out.scalar = std::to_string(*v);
            break;
        }
        case SchemaNode::Type::kDuration: {
            auto v = parse_duration_ms(text);
            if (!v) {
                error(mark, path, "expected a duration such as 2ms, 10s or 1h, got '" + text + "'");
                return out;
            }
            check_range(static_cast<double>(*v), "duration (ms)");
            out.scalar = std::to_string(*v);
            break;
        }
        default:
            error(mark, path, std::string("expected ") + type_name(schema.type) + ", got a scalar");
            return out;
    }
    if (!schema.enum_values.empty()) {
        bool found = false;
        std::string allowed;
        for (const std::string& e : schema.enum_values) {
            found = found || e == out.scalar;
            allowed += (allowed.empty() ? "" : ", ") + e;
        }
        if (!found) error(mark, path, "'" + out.scalar + "' is not one of: " + allowed);
    }
    return out;
}

ConfigValue Validator::default_value(const SchemaNode& schema, SourceMark mark,
                                     const std::string& path) {
    if (schema.type == SchemaNode::Type::kObject) {
        ConfigValue out;
        out.kind = ConfigValue::Kind::kMap;
        out.mark = mark;
        fill_missing(out, {&schema}, path);
        return out;
    }
    if (schema.default_value) return validate_scalar(*schema.default_value, mark, schema, path);
    if (schema.default_items) {
        ConfigValue out;
        out.kind = ConfigValue::Kind::kList;
        out.mark = mark;
        for (std::size_t i = 0; i < schema.default_items->size(); ++i) {
            out.items.push_back(validate_scalar((*schema.default_items)[i], mark, *schema.items,
                                                path + "[" + std::to_string(i) + "]"));
        }
        return out;
    }
    return {};
}

void Validator::fill_missing(ConfigValue& out, const std::vector<const SchemaNode*>& schemas,
                             const std::string& path) {
    for (const SchemaNode* schema : schemas) {
        for (const auto& [key, prop] : schema->properties) {
            if (out.find(key) != nullptr) continue;
            if (prop.required) {
                error(out.mark, join(path, key), "required key is missing");
                continue;
            }
            ConfigValue v = default_value(prop, out.mark, join(path, key));
            if (v.kind != ConfigValue::Kind::kNull) out.entries.emplace_back(key, std::move(v));
        }
    }
}

ConfigValue Validator::validate_merged(const YAML::Node& node,
                                       const std::vector<const SchemaNode*>& schemas,
                                       const std::string& path) {
    ConfigValue out;
    out.kind = ConfigValue::Kind::kMap;
    out.mark = mark_of(node);
    if (node.IsNull() || !node.IsDefined()) {
        fill_missing(out, schemas, path);
        return out;
    }
    if (!node.IsMap()) {
        error(mark_of(node), path, "expected a map");
        return out;
    }
    bool open = false;
    for (const SchemaNode* s : schemas) open = open || s->additional_properties;
    for (const auto& kv : node) {
        const std::string key = kv.first.Scalar();
        const SchemaNode* prop = nullptr;
        for (const SchemaNode* s : schemas) {
            if ((prop = s->property(key)) != nullptr) break;
        }
        if (prop == nullptr) {
            if (!open) error(mark_of(kv.first), join(path, key), "unknown key");
            continue;
        }
        if (out.find(key) != nullptr) {
            error(mark_of(kv.first), join(path, key), "key appears twice");
            continue;
        }
        out.entries.emplace_back(key, validate(kv.second, *prop, join(path, key)));
    }
    fill_missing(out, schemas, path);
    return out;
}

ConfigValue Validator::validate(const YAML::Node& node, const SchemaNode& schema,
                                const std::string& path) {
    switch (schema.type) {
        case SchemaNode::Type::kObject:
            return validate_merged(node, {&schema}, path);
        case SchemaNode::Type::kMap: {
            ConfigValue out;
            out.kind = ConfigValue::Kind::kMap;
            out.mark = mark_of(node);
            if (node.IsNull()) return out;
            if (!node.IsMap()) {
                error(mark_of(node), path, "expected a map");
                return out;
            }
            for (const auto& kv : node) {
                std::string key = kv.first.Scalar();
                out.entries.emplace_back(key, validate(kv.second, *schema.items, join(path, key)));
            }
            return out;
        }
        case SchemaNode::Type::kList: {
            ConfigValue out;
            out.kind = ConfigValue::Kind::kList;
            out.mark = mark_of(node);
            if (node.IsNull()) return out;
            if (!node.IsSequence()) {
                error(mark_of(node), path, "expected a list");
                return out;
            }
            std::size_t i = 0;
            for (const auto& item : node) {
                out.items.push_back(
                    validate(item, *schema.items, path + "[" + std::to_string(i++) + "]"));
            }
            return out;
        }
        default:
            if (node.IsNull()) {
                if (schema.required) error(mark_of(node), path, "a value is required");
                return default_value(schema, mark_of(node), path);
            }
            if (!node.IsScalar()) {
                error(mark_of(node), path,
                      std::string("expected a ") + type_name(schema.type) + ", got a " +
                          (node.IsMap() ? "map" : "list"));
                return {};
            }
            return validate_scalar(node.Scalar(), mark_of(node), schema, path);
    }
}

}  // namespace memolib::core
