#include "support/gateway_config.hpp"

namespace memolib::test {

ChannelConfig GatewayConfig::form_channel() {
    return {"form", {{"plugin", "form"}, {"max_body", "5MiB"}, {"default_region", "FR"}}};
}

std::string yaml_quote(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '"';
    return out;
}

std::string GatewayConfig::to_yaml() const {
    std::string y;
    y += "server:\n";
    y += "  listen: " + yaml_quote(listen) + "\n";
    y += "  threads: " + std::to_string(threads) + "\n";
    y += server_extra;
    y += "plugins:\n";
    y += "  directory: " + yaml_quote(plugins_directory.string()) + "\n";
    y += "storage:\n";
    y += "  backend: " + backend + "\n";
    y += "  url: " + yaml_quote(storage_url) + "\n";
    if (backend == "postgresql" && (spool_path || !spool_max_size.empty())) {
        y += "  spool:\n";
        if (spool_path) y += "    path: " + yaml_quote(*spool_path) + "\n";
        if (!spool_max_size.empty()) y += "    max_size: " + spool_max_size + "\n";
    }
    y += storage_extra;
    y += "pipeline:\n";
    y += "  stages: [";
    for (std::size_t i = 0; i < stages.size(); ++i) {
        y += (i == 0 ? "" : ", ") + stages[i];
    }
    y += "]\n";
    y += pipeline_extra;
    y += "channels:\n";
    for (const auto& channel : channels) {
        y += "  " + channel.name + ":\n";
        for (const auto& [key, value] : channel.settings) {
            y.append("    ").append(key).append(": ").append(value).append("\n");
        }
    }
    y += extra_yaml;
    return y;
}

}  // namespace memolib::test
