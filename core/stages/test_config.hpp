#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/gateway_config.hpp"

namespace memolib::core {

/// The `pipeline` block of `yaml` as the gateway validates it, defaults filled; throws on an
/// invalid document, so a test never runs on a half-read configuration.
inline ConfigValue validated_pipeline(const std::string& yaml = "{}") {
    std::vector<ConfigError> errors;
    Validator v("test.yaml", errors);
    ConfigValue root = v.validate(YAML::Load(yaml), core_schema(), "");
    if (!errors.empty()) throw std::runtime_error(errors.front().to_string());
    return root.at("pipeline");
}

}  // namespace memolib::core
