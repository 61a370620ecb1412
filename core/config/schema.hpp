#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace YAML {  // NOLINT(readability-identifier-naming): yaml-cpp's namespace
class Node;
}

namespace memolib::core {

/// A 1-based position in a YAML file (0 when unknown).
struct SourceMark {
    int line = 0;
    int column = 0;
};

/// One configuration problem, located in its file.
struct ConfigError {
    std::string file;
    SourceMark mark;
    std::string key;
    std::string message;
    /// "gateway.yaml:12:5: key 'channels.form.max_body': not a size".
    std::string to_string() const;
};

/// A validated configuration tree: environment substituted, defaults applied, units
/// normalized (sizes in bytes, durations in milliseconds, booleans "true"/"false").
struct ConfigValue {
    enum class Kind { kNull, kScalar, kMap, kList };
    Kind kind = Kind::kNull;
    std::string scalar;
    std::vector<std::pair<std::string, ConfigValue>> entries;
    std::vector<ConfigValue> items;
    SourceMark mark;

    const ConfigValue* find(std::string_view key) const;
    /// The scalar at `key`, or `fallback` when absent.
    std::string get(std::string_view key, const std::string& fallback = {}) const;
    long long get_int(std::string_view key, long long fallback) const;
    double get_number(std::string_view key, double fallback) const;
    /// The scalar, integer, number or list of strings at `key` when its schema gives it a
    /// default (the validator applied it): code reads it without restating the default.
    /// Throws std::logic_error when absent.
    const ConfigValue& at(std::string_view key) const;
    const std::string& text(std::string_view key) const;
    long long integer(std::string_view key) const;
    double number(std::string_view key) const;
    std::vector<std::string> strings(std::string_view key) const;
};

/// A node of the schema language shared by core and plugins (see docs/configuration.md).
struct SchemaNode {
    enum class Type {
        kString,
        kInteger,
        kNumber,
        kBoolean,
        kSize,
        kDuration,
        kObject,
        kMap,
        kList
    };
    Type type = Type::kString;
    bool required = false;
    bool secret = false;
    std::optional<std::string> default_value;
    /// The default of a list (`default: [a, b]`), validated as its items are.
    std::optional<std::vector<std::string>> default_items;
    std::vector<std::string> enum_values;
    std::optional<double> minimum;
    std::optional<double> maximum;
    std::string description;
    std::vector<std::pair<std::string, SchemaNode>> properties;
    bool additional_properties = false;
    /// The schema of list items and of map values.
    std::shared_ptr<SchemaNode> items;

    const SchemaNode* property(std::string_view key) const;
};

const char* type_name(SchemaNode::Type type);

/// Reads one schema node (`{type, properties, items, default, …}`). Throws
/// std::runtime_error naming the offending key.
SchemaNode parse_schema(const YAML::Node& node, const std::string& path = {});

/// Reads a plugin's flat schema (a map from key to node) as an object schema.
SchemaNode parse_flat_schema(std::string_view yaml_text);

/// Validates YAML against a schema and builds the ConfigValue, collecting every error.
class Validator {
public:
    Validator(std::string file, std::vector<ConfigError>& errors)
        : file_(std::move(file)), errors_(errors) {}

    ConfigValue validate(const YAML::Node& node, const SchemaNode& schema, const std::string& path);
    /// Validates a map, accepting only keys present in any of `schemas` (first match wins).
    ConfigValue validate_merged(const YAML::Node& node,
                                const std::vector<const SchemaNode*>& schemas,
                                const std::string& path);
    void error(SourceMark mark, const std::string& key, const std::string& message);
    const std::string& file() const { return file_; }

private:
    ConfigValue validate_scalar(const std::string& raw, SourceMark mark, const SchemaNode& schema,
                                const std::string& path);
    ConfigValue default_value(const SchemaNode& schema, SourceMark mark, const std::string& path);
    void fill_missing(ConfigValue& out, const std::vector<const SchemaNode*>& schemas,
                      const std::string& path);

    std::string file_;
    std::vector<ConfigError>& errors_;
};

/// Replaces `${NAME}` and `${NAME:-fallback}` from the environment. Returns false and names the
/// variable in `missing` when one is unset and has no fallback.
bool substitute_env(const std::string& text, std::string& out, std::string& missing);

}  // namespace memolib::core
