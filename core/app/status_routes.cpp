#include "app/status_routes.hpp"

#include <string>

#include "app/gateway.hpp"
#include "app/generation.hpp"
#include "app/json_fields.hpp"
#include "memolib/sdk/version.h"
#include "observability/metrics.hpp"

namespace memolib::core {

void answer_health(Exchange& ex) {
    ex.status = 200;
    ex.response_content_type = "application/json";
    ex.response_body = R"({"status":"ok"})";
}

void answer_version(Exchange& ex) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    put(w, "version", MEMOLIB_GATEWAY_VERSION);
    put(w, "sdk_abi",
        std::to_string(MEMOLIB_SDK_ABI_MAJOR) + "." + std::to_string(MEMOLIB_SDK_ABI_MINOR));
    w.Key("plugins");
    w.StartArray();
    for (const auto& [name, plugin] : ex.generation->gateway->registry->plugins()) {
        w.StartObject();
        put(w, "name", name);
        put(w, "version", plugin->version);
        put(w, "abi", std::to_string(plugin->abi_major) + "." + std::to_string(plugin->abi_minor));
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    answer_json(ex, 200, buf);
}

void answer_metrics(Exchange& ex) {
    ex.status = 200;
    ex.response_content_type = "text/plain; version=0.0.4; charset=utf-8";
    ex.response_body = metrics().render();
}

}  // namespace memolib::core
