#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/schema.hpp"

namespace memolib::core {

class BatchWriter;
class NonceStore;
class Stage;
struct StageState;

/// What the gateway lends the stages it builds: what outlives a configuration (the storage
/// writer, the stages' state, the signature nonces). A reload keeps them; changing their
/// settings needs a restart.
struct StageContext {
    BatchWriter* writer = nullptr;
    /// The signature nonces claimed so far (memolib_host_t::claim_nonce); null for none.
    NonceStore* nonces = nullptr;
    StageState* state = nullptr;
};

/// How one stage is declared (Envoy's filter factories, userver's components): the name an
/// operator lists in `pipeline.stages`, its settings block under `pipeline` in the schema
/// language, the state it keeps across reloads, and how its stage is built from the validated
/// `pipeline` block. Settings are read from that block as the validator filled it, so their
/// defaults live in the schema only.
class StageFactory {
public:
    virtual ~StageFactory() = default;
    virtual std::string_view name() const = 0;
    /// The key of its settings block under `pipeline` (empty: none); stages sharing one block
    /// (rate_limit and sender_rate_limit, cache and replay) declare it once, in the stage that
    /// builds the state they share.
    virtual std::string_view settings_key() const { return {}; }
    /// That block's schema, a YAML object schema.
    virtual std::string_view settings_schema() const { return {}; }
    /// Builds its part of the state kept across reloads, from the configuration the gateway
    /// started with.
    virtual void make_state(const ConfigValue& /*pipeline*/, StageState& /*state*/) const {}
    /// The keys (dotted, from the root) whose change needs a restart: those sizing its state.
    virtual std::vector<std::string> restart_keys() const { return {}; }
    /// Its stage for one configuration.
    virtual std::unique_ptr<Stage> make(const ConfigValue& pipeline,
                                        const StageContext& context) const = 0;
};

/// Every stage factory, in the only order their stages can run (also the default list).
const std::vector<const StageFactory*>& stage_factories();
/// The factory of the stage `name`; nullptr when there is none.
const StageFactory* find_stage_factory(std::string_view name);

/// The stages `names` lists, in that order, built for the validated `pipeline` block. Throws
/// std::invalid_argument naming a stage that does not exist or cannot be built.
std::vector<std::unique_ptr<Stage>> build_stages(const std::vector<std::string>& names,
                                                 const ConfigValue& pipeline,
                                                 const StageContext& context);
/// Every factory's state, from the configuration the gateway started with.
void make_stage_states(const ConfigValue& pipeline, StageState& state);

struct SizeLimitFactory final : StageFactory {
    static constexpr std::string_view kName = "size_limit";
    std::string_view name() const override { return kName; }
    std::unique_ptr<Stage> make(const ConfigValue&, const StageContext&) const override;
};

/// Counts requests per ip or per channel (channels keyed by sender are sender_rate_limit's).
struct RateLimitFactory final : StageFactory {
    static constexpr std::string_view kName = "rate_limit";
    struct Settings {
        std::string backend;
        std::string redis_url;
        std::uint64_t timeout_ms = 0;
        std::size_t max_keys = 0;
    };
    static Settings settings(const ConfigValue& pipeline);
    std::string_view name() const override { return kName; }
    std::string_view settings_key() const override { return "rate_limit"; }
    std::string_view settings_schema() const override;
    void make_state(const ConfigValue& pipeline, StageState& state) const override;
    std::vector<std::string> restart_keys() const override { return {"pipeline.rate_limit"}; }
    std::unique_ptr<Stage> make(const ConfigValue&, const StageContext&) const override;
};

struct VerifyFactory final : StageFactory {
    static constexpr std::string_view kName = "verify";
    std::string_view name() const override { return kName; }
    std::unique_ptr<Stage> make(const ConfigValue&, const StageContext&) const override;
};

/// Answers a byte-identical retry from the replay cache (the cache stage's) before parse.
struct ReplayFactory final : StageFactory {
    static constexpr std::string_view kName = "replay";
    std::string_view name() const override { return kName; }
    std::unique_ptr<Stage> make(const ConfigValue&, const StageContext&) const override;
};

/// Turns the body into messages; an authentic request it cannot is quarantined, within
/// `pipeline.quarantine.max_size` raw bytes.
struct ParseFactory final : StageFactory {
    static constexpr std::string_view kName = "parse";
    static std::uint64_t quarantine_max_bytes(const ConfigValue& pipeline);
    std::string_view name() const override { return kName; }
    std::string_view settings_key() const override { return "quarantine"; }
    std::string_view settings_schema() const override;
    std::unique_ptr<Stage> make(const ConfigValue&, const StageContext&) const override;
};

/// Counts requests per sender, in the rate_limit stage's windows, once parse named them.
struct SenderRateLimitFactory final : StageFactory {
    static constexpr std::string_view kName = "sender_rate_limit";
    std::string_view name() const override { return kName; }
    std::unique_ptr<Stage> make(const ConfigValue&, const StageContext&) const override;
};

struct EnrichFactory final : StageFactory {
    static constexpr std::string_view kName = "enrich";
    struct Settings {
        std::vector<std::string> high;
        std::vector<std::string> low;
    };
    static Settings settings(const ConfigValue& pipeline);
    std::string_view name() const override { return kName; }
    std::string_view settings_key() const override { return "priority"; }
    std::string_view settings_schema() const override;
    std::unique_ptr<Stage> make(const ConfigValue&, const StageContext&) const override;
};

struct DedupFactory final : StageFactory {
    static constexpr std::string_view kName = "dedup";
    struct Settings {
        std::size_t cache_entries = 0;
        /// 0: each provider's own (its plugin's person_facing_providers get 409, others 200).
        int duplicate_status = 0;
    };
    static Settings settings(const ConfigValue& pipeline);
    std::string_view name() const override { return kName; }
    std::string_view settings_key() const override { return "dedup"; }
    std::string_view settings_schema() const override;
    void make_state(const ConfigValue& pipeline, StageState& state) const override;
    std::vector<std::string> restart_keys() const override {
        return {"pipeline.dedup.cache_entries"};
    }
    std::unique_ptr<Stage> make(const ConfigValue&, const StageContext&) const override;
};

struct CacheFactory final : StageFactory {
    static constexpr std::string_view kName = "cache";
    struct Settings {
        std::size_t max_entries = 0;
        std::chrono::milliseconds ttl{0};
    };
    static Settings settings(const ConfigValue& pipeline);
    std::string_view name() const override { return kName; }
    std::string_view settings_key() const override { return "cache"; }
    std::string_view settings_schema() const override;
    void make_state(const ConfigValue& pipeline, StageState& state) const override;
    std::vector<std::string> restart_keys() const override { return {"pipeline.cache"}; }
    std::unique_ptr<Stage> make(const ConfigValue&, const StageContext&) const override;
};

struct PersistFactory final : StageFactory {
    static constexpr std::string_view kName = "persist";
    std::string_view name() const override { return kName; }
    std::unique_ptr<Stage> make(const ConfigValue&, const StageContext&) const override;
};

}  // namespace memolib::core
