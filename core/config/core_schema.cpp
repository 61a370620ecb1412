#include <yaml-cpp/yaml.h>

#include "config/gateway_config.hpp"
#include "stages/stage_factory.hpp"

namespace memolib::core {

namespace {

// The core's schema, in the same language as the plugins' (docs/configuration.md is made from it).
constexpr const char* kCoreSchema = R"yaml(
type: object
properties:
  server:
    type: object
    description: The HTTP listener.
    properties:
      listen: {type: string, default: "127.0.0.1:8080", description: "host:port to listen on; port 0 lets the system pick one (logged at start)"}
      threads: {type: integer, default: 2, minimum: 1, maximum: 256, description: "I/O threads, each with its own event loop; new connections go to them in turn and stay on theirs"}
      header_timeout: {type: duration, default: 10s, description: "Time a client has to send the request line and headers"}
      body_timeout: {type: duration, default: 30s, description: "Time a client has to send the body once the headers are read"}
      idle_timeout: {type: duration, default: 60s, description: "Time a keep-alive connection may stay idle between requests"}
      max_header_bytes: {type: size, default: 16KiB, minimum: 1024, maximum: 1048576, description: "Largest request line plus headers; more is answered 431"}
      shutdown_grace: {type: duration, default: 10s, description: "Time in-flight requests get to finish on SIGTERM"}
      max_connections: {type: integer, default: 0, minimum: 0, maximum: 1000000, description: "Connections open at once; beyond it new ones wait in the listen backlog. 0: the open-file limit (raised to its hard limit at start) less what the gateway keeps for its own files"}
  logging:
    type: object
    properties:
      level: {type: string, default: info, enum: [debug, info, warn, error], description: "Lowest level written to stderr"}
  plugins:
    type: object
    properties:
      directory: {type: string, default: ./build/release/plugins, description: "Directory scanned for plugin .so files, relative to the working directory"}
  storage:
    type: object
    properties:
      backend: {type: string, default: sqlite, enum: [sqlite, postgresql], description: "sqlite (embedded, the default) or postgresql"}
      url: {type: string, default: data/memolib.db, description: "SQLite file path, or a libpq connection string or URI"}
      pool: {type: integer, default: 4, minimum: 1, maximum: 64, description: "PostgreSQL: writer connections committing batches side by side (SQLite always has one writer)"}
      timeout: {type: duration, default: 5s, minimum: 100, maximum: 600000, description: "Longest a storage transaction or query may take (PostgreSQL: also its connect timeout, at least 2s); past it the connection is cut and the request answered 503 with Retry-After"}
      batch:
        type: object
        properties:
          max_messages: {type: integer, default: 256, minimum: 1, maximum: 10000, description: "Most messages committed in one transaction"}
          max_delay: {type: duration, default: 2ms, maximum: 1000, description: "Longest a message waits for others to share its transaction"}
      spool:
        type: object
        properties:
          path: {type: string, default: data/spool.db, description: "PostgreSQL only: the local SQLite file that takes the messages while PostgreSQL is down, drained into it once it answers again (one per instance); empty: no spool, 503 instead"}
          max_size: {type: size, default: 1GiB, minimum: 65536, description: "Most bytes the spooled messages may take; past it, and on a full file system, 503 with Retry-After"}
  pipeline:
    type: object
    properties:
      retry:
        type: object
        properties:
          max_attempts: {type: integer, default: 3, minimum: 0, maximum: 10, description: "Retries of a transient storage error"}
          base_delay: {type: duration, default: 100ms, description: "First retry delay"}
          max_delay: {type: duration, default: 5s, description: "Longest retry delay"}
          jitter: {type: string, default: full, enum: [full, none], description: "Full jitter spreads retries of concurrent requests"}
      compression:
        type: object
        properties:
          min_bytes: {type: size, default: 1KiB, description: "Smallest body compressed"}
          level: {type: integer, default: 6, minimum: 1, maximum: 9, description: "gzip level"}
          min_savings: {type: number, default: 0.20, minimum: 0, maximum: 1, description: "Compression is skipped when it saves less"}
  channels:
    type: map
    description: "One entry per channel: its URL is /webhooks/{name}"
    values: {type: object, additional_properties: true, properties: {plugin: {type: string, required: true}}}
  monitoring:
    type: object
    properties:
      alerts:
        type: object
        properties:
          error_rate: {type: number, default: 0.05, minimum: 0, maximum: 1, description: "Alert above this share of errors"}
          duplicate_rate: {type: number, default: 0.10, minimum: 0, maximum: 1, description: "Alert above this share of duplicates"}
          p99: {type: duration, default: 5s, description: "Alert above this p99 latency"}
          spool_age: {type: duration, default: 60s, minimum: 1000, description: "Alert (spool_not_empty) while the oldest message waiting in the spool (PostgreSQL unreachable) is older than this"}
      window: {type: duration, default: 5m, minimum: 1000, description: "Sliding window of the dashboard's rates, percentiles and alerts (a restart applies a change)"}
      admin_token: {type: string, secret: true, description: "Bearer token of /api/messages and /api/admin/*; when unset those endpoints answer 403"}
)yaml";

constexpr const char* kChannelSchema = R"yaml(
type: object
properties:
  plugin: {type: string, required: true, description: "Name of the plugin serving this channel"}
  max_body: {type: size, description: "Largest body accepted; larger is 413 before the body is read (default: the plugin's)"}
  verify: {type: string, default: enforce, enum: [enforce, report, off], description: "enforce: bad signatures are 401; report: logged and accepted; off: not checked"}
  public_url: {type: string, description: "URL the provider signs, when a proxy rewrites scheme or host"}
  duplicate_status: {type: integer, enum: ["200", "409"], description: "Status when every message is a duplicate (default: pipeline.dedup.duplicate_status, else the provider's: 200, or 409 for the plugin's person-facing providers)"}
  rate_limit:
    type: object
    description: "Sliding-window limit (counted by the rate_limit stage, or by sender_rate_limit for key sender)"
    properties:
      requests: {type: integer, minimum: 1, description: "Requests allowed per window"}
      window: {type: duration, description: "Window length (default: the plugin's)"}
      key: {type: string, default: ip, enum: [ip, sender, channel], description: "What the window counts per"}
)yaml";

// The core's schema with the stages' part assembled from their factories: the names
// `pipeline.stages` accepts (all of them, in order, by default) and each settings block.
SchemaNode assemble_core_schema() {
    SchemaNode schema = parse_schema(YAML::Load(kCoreSchema));
    SchemaNode* pipeline = nullptr;
    for (auto& [key, node] : schema.properties) {
        if (key == "pipeline") pipeline = &node;
    }
    SchemaNode stages;
    stages.type = SchemaNode::Type::kList;
    stages.items = std::make_shared<SchemaNode>();
    stages.default_items.emplace();
    for (const StageFactory* factory : stage_factories()) {
        stages.items->enum_values.emplace_back(factory->name());
        stages.default_items->emplace_back(factory->name());
    }
    stages.description =
        "The stages every webhook goes through, in order (a list naming neither replay nor "
        "sender_rate_limit is read as before them: see the stage list)";
    std::vector<std::pair<std::string, SchemaNode>> properties;
    properties.emplace_back("stages", std::move(stages));
    for (const StageFactory* factory : stage_factories()) {
        if (factory->settings_key().empty()) continue;
        const std::string key(factory->settings_key());
        properties.emplace_back(
            key,
            parse_schema(YAML::Load(std::string(factory->settings_schema())), "pipeline." + key));
    }
    for (auto& property : pipeline->properties) properties.push_back(std::move(property));
    pipeline->properties = std::move(properties);
    return schema;
}

}  // namespace

const SchemaNode& core_schema() {
    static const SchemaNode kSchema = assemble_core_schema();
    return kSchema;
}

const SchemaNode& channel_core_schema() {
    static const SchemaNode kSchema = parse_schema(YAML::Load(kChannelSchema));
    return kSchema;
}

}  // namespace memolib::core
