/// @file adapter.hpp
/// The header-only C++ layer over abi.h: subclass memolib::sdk::Adapter and write
/// MEMOLIB_PLUGIN(MyAdapter) in one source file of the plugin.
///
/// Everything here is compiled into the plugin, so the host and the plugin may use different
/// compilers and standard libraries: only abi.h crosses. Exceptions thrown by an adapter are
/// caught here and turned into MEMOLIB_INTERNAL_ERROR; they never reach the host.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "memolib/sdk/abi.h"

namespace memolib::sdk {

/// Turns a std::string_view into an ABI view. The view borrows the string's bytes.
inline memolib_str_t to_abi(std::string_view s) noexcept { return {s.data(), s.size()}; }

/// Turns an ABI view into a std::string_view borrowing the same bytes.
inline std::string_view from_abi(memolib_str_t s) noexcept {
    return s.ptr == nullptr ? std::string_view{} : std::string_view{s.ptr, s.len};
}

/// Case-insensitive ASCII comparison, as HTTP header names need.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/// A read-only view of the request handed to verify, handshake and parse.
/// LIFETIME: valid during the hook call only; copy what you keep.
class Request {
public:
    /// Borrows `raw`, which must outlive this object (it does for the hook's duration).
    explicit Request(const memolib_request_t& raw) noexcept : raw_(raw) {}

    /// "GET" or "POST".
    std::string_view method() const noexcept { return from_abi(raw_.method); }
    /// The path without the query string.
    std::string_view path() const noexcept { return from_abi(raw_.path); }
    /// The raw query string, still percent-encoded, without '?'.
    std::string_view query() const noexcept { return from_abi(raw_.query); }
    /// The full Content-Type value, parameters included.
    std::string_view content_type() const noexcept { return from_abi(raw_.content_type); }
    /// The media type alone, lower-cased ("multipart/form-data").
    std::string media_type() const {
        std::string_view ct = content_type();
        std::string out(ct.substr(0, ct.find(';')));
        while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
        std::size_t start = out.find_first_not_of(" \t");
        out = start == std::string::npos ? std::string{} : out.substr(start);
        for (char& c : out) {
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        }
        return out;
    }
    /// The URL the provider signed (see memolib_request_t::public_url).
    std::string_view public_url() const noexcept { return from_abi(raw_.public_url); }
    /// The client's IP address as text.
    std::string_view remote_address() const noexcept { return from_abi(raw_.remote_address); }
    /// The host's clock at arrival, ms since the Unix epoch: use it for timestamp tolerances.
    std::int64_t received_at_ms() const noexcept { return raw_.received_at_ms; }
    /// The raw body, exactly as received.
    std::string_view body() const noexcept {
        return raw_.body.ptr == nullptr
                   ? std::string_view{}
                   : std::string_view{reinterpret_cast<const char*>(raw_.body.ptr), raw_.body.len};
    }
    /// The first header with this name (case-insensitive), if any.
    std::optional<std::string_view> header(std::string_view name) const noexcept {
        for (std::size_t i = 0; i < raw_.header_count; ++i) {
            if (iequals(from_abi(raw_.headers[i].name), name)) {
                return from_abi(raw_.headers[i].value);
            }
        }
        return std::nullopt;
    }
    /// The underlying ABI struct, for fields this SDK version has no accessor for.
    const memolib_request_t& raw() const noexcept { return raw_; }

private:
    const memolib_request_t& raw_;
};

/// An attachment descriptor owned by the plugin until emitted.
struct Attachment {
    std::string name;
    std::string content_type;
    std::int64_t size = -1;
    std::string url;
    std::string provider_id;
};

/// A normalized message owned by the plugin until emitted (see memolib_message_t).
struct Message {
    std::string provider;
    std::string external_id;
    std::string sender;
    std::string sender_name;
    std::string recipient;
    std::string subject;
    std::string text;
    std::string html;
    std::vector<Attachment> attachments;
    std::int64_t provider_timestamp_ms = 0;
    /// One JSON object, or empty.
    std::string metadata_json;
};

/// What Host::claim_nonce found.
enum class NonceClaim {
    /// New, or claimed before by a request with the same body (a provider's re-delivery), or
    /// the host could not tell: go on.
    kFresh,
    /// Claimed by a request with another body: a replayed signature; refuse the request.
    kReplayed,
    /// The host predates ABI 1.1 and remembers no nonces: remember them yourself.
    kUnsupported
};

/// The host's callbacks for one hook call.
/// THREADING: use it only on the thread of the hook that received it, before it returns.
class Host {
public:
    /// Borrows `raw`, valid for the hook's duration.
    explicit Host(const memolib_host_t& raw) noexcept : raw_(raw) {}

    /// Hands one message to the host, which copies it. False when the host refuses more.
    bool emit(const Message& m) const {
        std::vector<memolib_attachment_t> atts;
        atts.reserve(m.attachments.size());
        for (const Attachment& a : m.attachments) {
            memolib_attachment_t abi{};
            abi.struct_size = sizeof(memolib_attachment_t);
            abi.name = to_abi(a.name);
            abi.content_type = to_abi(a.content_type);
            abi.size = a.size;
            abi.url = to_abi(a.url);
            abi.provider_id = to_abi(a.provider_id);
            atts.push_back(abi);
        }
        memolib_message_t abi{};
        abi.struct_size = sizeof(memolib_message_t);
        abi.provider = to_abi(m.provider);
        abi.external_id = to_abi(m.external_id);
        abi.sender = to_abi(m.sender);
        abi.sender_name = to_abi(m.sender_name);
        abi.recipient = to_abi(m.recipient);
        abi.subject = to_abi(m.subject);
        abi.text = to_abi(m.text);
        abi.html = to_abi(m.html);
        abi.attachments = atts.empty() ? nullptr : atts.data();
        abi.attachment_count = atts.size();
        abi.provider_timestamp_ms = m.provider_timestamp_ms;
        abi.metadata_json = to_abi(m.metadata_json);
        return raw_.emit_message(raw_.ctx, &abi) == 0;
    }
    /// Adds one error detail (see memolib_host_t::add_error).
    void error(std::string_view field, std::string_view code, std::string_view message) const {
        raw_.add_error(raw_.ctx, to_abi(field), to_abi(code), to_abi(message));
    }
    /// Sets the HTTP answer of a handshake.
    void respond(int status, std::string_view content_type, std::string_view body) const {
        raw_.set_response(raw_.ctx, status, to_abi(content_type),
                          {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
    }
    /// Logs one line through the host's logger; never pass secrets or unmasked addresses.
    void log(memolib_log_level_t level, std::string_view message) const {
        raw_.log(raw_.ctx, level, to_abi(message));
    }
    /// verify: claims the one-time value of a signature that does not cover the body, for
    /// `ttl_ms` (see memolib_host_t::claim_nonce, ABI 1.1).
    NonceClaim claim_nonce(std::string_view nonce, std::int64_t ttl_ms) const {
        if (raw_.struct_size < offsetof(memolib_host_t, claim_nonce) + sizeof(raw_.claim_nonce) ||
            raw_.claim_nonce == nullptr) {
            return NonceClaim::kUnsupported;
        }
        return raw_.claim_nonce(raw_.ctx, to_abi(nonce), ttl_ms) == 0 ? NonceClaim::kFresh
                                                                      : NonceClaim::kReplayed;
    }
    /// The HMAC of `data` keyed with `key` ("sha1", "sha256", "sha512" or "md5"), as raw
    /// bytes (hex_encode / base64_encode in signing.hpp give its text forms). Computed by the
    /// host (ABI 1.1), so the plugin links no crypto library. Throws std::runtime_error for an
    /// unknown algorithm or a host without the callback.
    std::string hmac(std::string_view algorithm, std::string_view key,
                     std::string_view data) const {
        if (!has(offsetof(memolib_host_t, hmac) + sizeof(raw_.hmac)) || raw_.hmac == nullptr) {
            throw std::runtime_error("the host has no hmac callback (ABI 1.0)");
        }
        std::uint8_t out[64];
        const std::size_t n =
            raw_.hmac(raw_.ctx, to_abi(algorithm), bytes(key), bytes(data), out, sizeof out);
        if (n == 0) throw std::runtime_error("hmac: unknown algorithm " + std::string(algorithm));
        return std::string(reinterpret_cast<const char*>(out), n);
    }
    /// The plain hash of `data` (same algorithms and errors as hmac), as raw bytes.
    std::string digest(std::string_view algorithm, std::string_view data) const {
        if (!has(offsetof(memolib_host_t, digest) + sizeof(raw_.digest)) ||
            raw_.digest == nullptr) {
            throw std::runtime_error("the host has no digest callback (ABI 1.0)");
        }
        std::uint8_t out[64];
        const std::size_t n =
            raw_.digest(raw_.ctx, to_abi(algorithm), bytes(data), out, sizeof out);
        if (n == 0) throw std::runtime_error("digest: unknown algorithm " + std::string(algorithm));
        return std::string(reinterpret_cast<const char*>(out), n);
    }
    /// The host's callbacks as the ABI hands them. A callback newer than the host may be
    /// absent: check `struct_size` covers it before calling one this class has no method for.
    const memolib_host_t& raw() const noexcept { return raw_; }

private:
    bool has(std::size_t end) const noexcept { return raw_.struct_size >= end; }
    static memolib_bytes_t bytes(std::string_view s) noexcept {
        return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
    }

    const memolib_host_t& raw_;
};

/// What the host decided for a request (ABI 1.1); see memolib_outcome_kind_t.
enum class OutcomeKind {
    kStored = MEMOLIB_OUTCOME_STORED,
    kDuplicate = MEMOLIB_OUTCOME_DUPLICATE,
    kQuarantined = MEMOLIB_OUTCOME_QUARANTINED,
    kAccepted = MEMOLIB_OUTCOME_ACCEPTED,
    kRejected = MEMOLIB_OUTCOME_REJECTED,
};

/// A read-only view of the outcome handed to Adapter::answer, and of the answer the host
/// sends unless the adapter shapes its own.
/// LIFETIME: valid during the hook call only.
class Outcome {
public:
    /// Borrows `raw`, which must outlive this object (it does for the hook's duration).
    explicit Outcome(const memolib_outcome_t& raw) noexcept : raw_(raw) {}

    OutcomeKind kind() const noexcept { return static_cast<OutcomeKind>(raw_.kind); }
    /// The typed reason of a duplicate or a refusal ("duplicate", "invalid_payload", …).
    std::string_view reason() const noexcept { return from_abi(raw_.reason); }
    std::string_view request_id() const noexcept { return from_abi(raw_.request_id); }
    /// The host's answer.
    int http_status() const noexcept { return raw_.http_status; }
    std::string_view content_type() const noexcept { return from_abi(raw_.content_type); }
    std::string_view body() const noexcept {
        return raw_.body.ptr == nullptr
                   ? std::string_view{}
                   : std::string_view{reinterpret_cast<const char*>(raw_.body.ptr), raw_.body.len};
    }
    /// How many messages the request carried.
    std::size_t message_count() const noexcept { return raw_.message_count; }
    /// The id of the row holding message `i` (the first row, for a duplicate).
    std::int64_t message_id(std::size_t i) const noexcept { return raw_.messages[i].id; }
    /// Message `i`'s dedup key, as lower-case hex.
    std::string_view message_checksum(std::size_t i) const noexcept {
        return from_abi(raw_.messages[i].checksum);
    }
    /// The underlying ABI struct.
    const memolib_outcome_t& raw() const noexcept { return raw_; }

private:
    const memolib_outcome_t& raw_;
};

/// Thrown by an adapter's constructor when its configuration cannot work; the host refuses the
/// channel with this message.
class ConfigError : public std::runtime_error {
public:
    /// `key` names the offending config key; `message` says what is wrong with it.
    ConfigError(std::string key, const std::string& message)
        : std::runtime_error(message), key_(std::move(key)) {}
    /// The offending config key.
    const std::string& key() const noexcept { return key_; }

private:
    std::string key_;
};

/// The validated configuration of one channel, copied out of memolib_config_t.
class Config {
public:
    /// An empty config, for tests.
    Config() = default;
    /// Copies every entry of `raw`, so the Config outlives on_create.
    explicit Config(const memolib_config_t& raw) : channel_(from_abi(raw.channel)) {
        for (std::size_t i = 0; i < raw.entry_count; ++i) {
            entries_.emplace_back(std::string(from_abi(raw.entries[i].name)),
                                  std::string(from_abi(raw.entries[i].value)));
        }
    }
    /// The channel's name in the YAML.
    const std::string& channel() const noexcept { return channel_; }
    /// The value of `key`, or nullopt when absent (optional key without default).
    std::optional<std::string> get(std::string_view key) const {
        for (const auto& [k, v] : entries_) {
            if (k == key) return v;
        }
        return std::nullopt;
    }
    /// The value of `key`, or `fallback` when absent.
    std::string get_or(std::string_view key, std::string fallback) const {
        auto v = get(key);
        return v ? *v : std::move(fallback);
    }
    /// Integers, sizes (bytes) and durations (ms). Throws ConfigError when not a number.
    std::int64_t get_int(std::string_view key, std::int64_t fallback) const {
        auto v = get(key);
        if (!v) return fallback;
        try {
            std::size_t used = 0;
            std::int64_t n = std::stoll(*v, &used);
            if (used == v->size()) return n;
        } catch (const std::exception&) {
        }
        throw ConfigError(std::string(key), "not an integer: " + *v);
    }
    /// A boolean ("true" / "false"), or `fallback` when absent.
    bool get_bool(std::string_view key, bool fallback) const {
        auto v = get(key);
        return v ? *v == "true" : fallback;
    }
    /// Adds or replaces an entry; for tests and fake hosts.
    void set(std::string key, std::string value) {
        for (auto& [k, v] : entries_) {
            if (k == key) {
                v = std::move(value);
                return;
            }
        }
        entries_.emplace_back(std::move(key), std::move(value));
    }

private:
    std::string channel_;
    std::vector<std::pair<std::string, std::string>> entries_;
};

/// The outcome of an adapter hook (same values as memolib_status_t).
enum class Status {
    kOk = MEMOLIB_OK,
    kUnauthorized = MEMOLIB_UNAUTHORIZED,
    kInvalid = MEMOLIB_INVALID,
    kUnsupportedMediaType = MEMOLIB_UNSUPPORTED_MEDIA_TYPE,
    kNotHandled = MEMOLIB_NOT_HANDLED,
    kInternalError = MEMOLIB_INTERNAL_ERROR,
    kForbidden = MEMOLIB_FORBIDDEN,
};

/// The base class of a channel adapter.
///
/// LIFECYCLE: the host constructs one instance per configured channel through
/// `Derived(const Config&)`, or `Derived(const Config&, const Host&)` to log at start (the Host
/// is valid during the constructor only); throw ConfigError to refuse the config. It then calls
/// verify, handshake and parse from several threads at once, then destroys it. THREADING: verify,
/// handshake and parse are const and run concurrently: keep per-request state on the stack, and
/// make anything shared immutable after construction.
///
/// A derived class also provides `static const PluginInfo& info()` (see below).
class Adapter {
public:
    /// Runs once, after every hook call on this instance has returned.
    virtual ~Adapter() = default;
    /// Checks the provider's signature; the default accepts every request.
    virtual Status verify(const Request&, const Host&) const { return Status::kOk; }
    /// Answers a GET on the channel; the default has none.
    virtual Status handshake(const Request&, const Host&) const { return Status::kNotHandled; }
    /// Validates and normalizes the request: host.emit() each message, host.error() each problem.
    virtual Status parse(const Request& request, const Host& host) const = 0;
    /// Shapes the answer once the host decided the outcome (ABI 1.1): host.respond() with the
    /// provider's own form of it (TwiML, a challenge's echo), or nothing to keep the host's
    /// JSON. Override it only when the channel needs it: a plugin that does not is described
    /// without the hook, and the host skips the call.
    virtual Status answer(const Request&, const Outcome&, const Host&) const { return Status::kOk; }
};

/// What MEMOLIB_PLUGIN needs to describe a plugin; all pointers are to static storage. Set
/// the fields by name (C++20: designated initializers; C++17: assign them in a lambda, as
/// docs/sdk.md shows); those left out keep the defaults below.
struct PluginInfo {
    /// The name a channel's `plugin:` refers to: 1-64 of a-z, 0-9, '_' and '-'. Required.
    const char* name = nullptr;
    /// The plugin's own version, shown by /version. Required.
    const char* version = nullptr;
    /// One line for operators.
    const char* description = "";
    /// "stable" or "alpha".
    const char* status = "stable";
    /// Providers handled, NULL-terminated. Required.
    const char* const* providers = nullptr;
    /// Media types accepted (no parameters), NULL-terminated: the host answers any other 415
    /// before parse. Required.
    const char* const* content_types = nullptr;
    /// Default body limit of a channel, which `max_body` overrides.
    std::uint64_t default_max_body_bytes = std::uint64_t{1} << 20;
    /// Default rate limit: requests per window (0: none).
    std::uint32_t default_rate_requests = 0;
    /// Default rate-limit window, in milliseconds.
    std::uint64_t default_rate_window_ms = 3600000;
    /// The config schema (see memolib_plugin_descriptor_t::config_schema_yaml); "" for none.
    const char* config_schema_yaml = "";
    /// Providers whose answers a person reads (a website form), NULL-terminated, or nullptr:
    /// their duplicates are answered 409 by default, every other provider's 200 (ABI 1.1).
    const char* const* person_facing_providers = nullptr;
};

/// The glue MEMOLIB_PLUGIN instantiates; not for direct use.
namespace detail {

inline void report(const memolib_host_t* host, std::string_view field, std::string_view code,
                   std::string_view message) noexcept {
    if (host != nullptr && host->add_error != nullptr) {
        host->add_error(host->ctx, to_abi(field), to_abi(code), to_abi(message));
    }
}

template <class T>
memolib_instance_t* create(const memolib_config_t* config, const memolib_host_t* host) noexcept {
    try {
        Config cfg(*config);
        if constexpr (std::is_constructible_v<T, const Config&, const Host&>) {
            return reinterpret_cast<memolib_instance_t*>(new T(cfg, Host(*host)));
        } else {
            return reinterpret_cast<memolib_instance_t*>(new T(cfg));
        }
    } catch (const ConfigError& e) {
        report(host, e.key(), "invalid_config", e.what());
    } catch (const std::exception& e) {
        report(host, "", "invalid_config", e.what());
    } catch (...) {
        report(host, "", "invalid_config", "unknown error");
    }
    return nullptr;
}

template <class T>
void destroy(memolib_instance_t* instance) noexcept {
    delete reinterpret_cast<T*>(instance);
}

template <class T, class Fn>
memolib_status_t guard(const memolib_instance_t* instance, const memolib_request_t* request,
                       const memolib_host_t* host, Fn fn) noexcept {
    try {
        const T& self = *reinterpret_cast<const T*>(instance);
        return static_cast<memolib_status_t>(fn(self, Request(*request), Host(*host)));
    } catch (const std::exception& e) {
        report(host, "", "internal_error", e.what());
    } catch (...) {
        report(host, "", "internal_error", "unknown error");
    }
    return MEMOLIB_INTERNAL_ERROR;
}

template <class T>
memolib_status_t verify(const memolib_instance_t* i, const memolib_request_t* r,
                        const memolib_host_t* h) noexcept {
    return guard<T>(i, r, h,
                    [](const T& s, const Request& q, const Host& o) { return s.verify(q, o); });
}

template <class T>
memolib_status_t handshake(const memolib_instance_t* i, const memolib_request_t* r,
                           const memolib_host_t* h) noexcept {
    return guard<T>(i, r, h,
                    [](const T& s, const Request& q, const Host& o) { return s.handshake(q, o); });
}

template <class T>
memolib_status_t parse(const memolib_instance_t* i, const memolib_request_t* r,
                       const memolib_host_t* h) noexcept {
    return guard<T>(i, r, h,
                    [](const T& s, const Request& q, const Host& o) { return s.parse(q, o); });
}

template <class T>
memolib_status_t answer(const memolib_instance_t* i, const memolib_request_t* r,
                        const memolib_outcome_t* o, const memolib_host_t* h) noexcept {
    return guard<T>(i, r, h, [o](const T& s, const Request& q, const Host& w) {
        return s.answer(q, Outcome(*o), w);
    });
}

template <class T>
const memolib_plugin_descriptor_t* descriptor() noexcept {
    static const memolib_plugin_descriptor_t kDescriptor = [] {
        const PluginInfo& info = T::info();
        memolib_plugin_descriptor_t out{};
        out.struct_size = sizeof(memolib_plugin_descriptor_t);
        out.abi_major = MEMOLIB_SDK_ABI_MAJOR;
        out.abi_minor = MEMOLIB_SDK_ABI_MINOR;
        out.name = info.name;
        out.version = info.version;
        out.description = info.description;
        out.status = info.status;
        out.providers = info.providers;
        out.content_types = info.content_types;
        out.default_max_body_bytes = info.default_max_body_bytes;
        out.default_rate_requests = info.default_rate_requests;
        out.default_rate_window_ms = info.default_rate_window_ms;
        out.config_schema_yaml = info.config_schema_yaml;
        out.on_create = &create<T>;
        out.on_destroy = &destroy<T>;
        out.on_verify = &verify<T>;
        out.on_handshake = &handshake<T>;
        out.on_parse = &parse<T>;
        // Only an adapter that overrides answer() gets the hook: the host skips the call
        // (and building its outcome) for the others.
        constexpr bool kAnswers = !std::is_same_v<decltype(&T::answer), decltype(&Adapter::answer)>;
        out.on_answer = kAnswers ? &answer<T> : nullptr;
        out.person_facing_providers = info.person_facing_providers;
        return out;
    }();
    return &kDescriptor;
}

}  // namespace detail
}  // namespace memolib::sdk

#if defined(_WIN32)
#define MEMOLIB_PLUGIN_EXPORT __declspec(dllexport)
#else
#define MEMOLIB_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/// Exports the plugin's one entry point for the adapter class `AdapterClass`.
/// Write it once, at namespace scope, in one source file of the plugin.
#define MEMOLIB_PLUGIN(AdapterClass)                                                              \
    extern "C" MEMOLIB_PLUGIN_EXPORT const memolib_plugin_descriptor_t* memolib_plugin_v1(void) { \
        return ::memolib::sdk::detail::descriptor<AdapterClass>();                                \
    }
