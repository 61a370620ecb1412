/// @file abi_1_1.h
/// FROZEN: abi.h and version.h of SDK 1.1, as released, in one file. Never edit it: a plugin
/// built against it (frozen_1_1_plugin.c) must keep loading in every 1.x host, and
/// abi_layout_test checks that today's abi.h still lays out every 1.1 field at the same place.
/// @file abi.h
/// The C boundary between the MemoLib Gateway host and a channel plugin.
///
/// Only the declarations of this file cross the boundary: plain C structs, views and function
/// pointers. No allocation made on one side is freed on the other, no exception and no C++ type
/// crosses. Every struct that may grow starts with `struct_size`, set by its writer to
/// `sizeof` the struct it was compiled with; a reader touches a field only when `struct_size`
/// covers it. See version.h for what may change within a major version.
///
/// Naming: `memolib_*_t` are types, `on_*` are plugin hooks (called by the host), and the
/// members of memolib_host_t are host callbacks (called by the plugin).
#ifndef MEMOLIB_SDK_ABI_1_1_FROZEN_H
#define MEMOLIB_SDK_ABI_1_1_FROZEN_H

#include <stddef.h>
#include <stdint.h>

#define MEMOLIB_SDK_ABI_MAJOR 1
#define MEMOLIB_SDK_ABI_MINOR 1
#define MEMOLIB_PLUGIN_ENTRY_SYMBOL "memolib_plugin_v1"

#ifdef __cplusplus
extern "C" {
#endif

/// A read-only view of UTF-8 text: `len` bytes at `ptr`, not NUL-terminated.
/// OWNERSHIP: the writer owns the bytes; the reader must copy what it keeps beyond the call
/// that handed it the view. `ptr` may be NULL only when `len` is 0.
typedef struct memolib_str_t {
    const char* ptr;
    size_t len;
} memolib_str_t;

/// A read-only view of bytes (a request body). Same ownership rule as memolib_str_t.
typedef struct memolib_bytes_t {
    const uint8_t* ptr;
    size_t len;
} memolib_bytes_t;

/// One HTTP header or one configuration entry: a name and a value.
typedef struct memolib_pair_t {
    memolib_str_t name;
    memolib_str_t value;
} memolib_pair_t;

/// The outcome of a hook.
typedef enum memolib_status_t {
    MEMOLIB_OK = 0,
    /// verify: the signature or token is missing or wrong (HTTP 401).
    MEMOLIB_UNAUTHORIZED = 1,
    /// parse: the payload fails validation; field errors say why (HTTP 400).
    MEMOLIB_INVALID = 2,
    /// parse: the content type is not one the channel accepts (HTTP 415).
    MEMOLIB_UNSUPPORTED_MEDIA_TYPE = 3,
    /// handshake: the plugin has no answer for this GET (HTTP 404 or its own response).
    MEMOLIB_NOT_HANDLED = 4,
    /// The plugin failed on its own side; the host answers 500 with the request id.
    MEMOLIB_INTERNAL_ERROR = 5,
    /// handshake: the request is refused (HTTP 403), e.g. a wrong verify token.
    MEMOLIB_FORBIDDEN = 6
} memolib_status_t;

/// Log levels for memolib_host_t::log.
typedef enum memolib_log_level_t {
    MEMOLIB_LOG_DEBUG = 0,
    MEMOLIB_LOG_INFO = 1,
    MEMOLIB_LOG_WARN = 2,
    MEMOLIB_LOG_ERROR = 3
} memolib_log_level_t;

/// One webhook request, as the host received it.
/// LIFETIME: valid for the duration of the hook call only.
typedef struct memolib_request_t {
    uint32_t struct_size;
    /// "GET" or "POST".
    memolib_str_t method;
    /// The path, without the query string ("/webhooks/form").
    memolib_str_t path;
    /// The raw query string, without '?', still percent-encoded.
    memolib_str_t query;
    /// The full Content-Type header value, parameters included; empty when absent.
    memolib_str_t content_type;
    /// The URL the provider signed: the channel's configured `public_url` (plus the query
    /// string), or one rebuilt from the request's scheme, Host header, path and query.
    memolib_str_t public_url;
    /// Every header in arrival order; names keep the sender's case.
    const memolib_pair_t* headers;
    size_t header_count;
    /// The raw body, exactly as received (never decoded by the host).
    memolib_bytes_t body;
    /// The client's IP address as text.
    memolib_str_t remote_address;
    /// The host's clock when the request arrived, milliseconds since the Unix epoch; plugins
    /// use it for timestamp tolerances so that tests can pin time.
    int64_t received_at_ms;
} memolib_request_t;

/// An attachment descriptor: never the bytes themselves.
typedef struct memolib_attachment_t {
    uint32_t struct_size;
    memolib_str_t name;
    memolib_str_t content_type;
    /// Size in bytes, or -1 when the provider does not say.
    int64_t size;
    /// Where the bytes can be fetched, when the provider gives a URL.
    memolib_str_t url;
    /// The provider's media id, when it gives one instead of a URL.
    memolib_str_t provider_id;
} memolib_attachment_t;

/// One normalized message, handed to memolib_host_t::emit_message.
/// Empty views mean "absent". The host copies everything during the call.
typedef struct memolib_message_t {
    uint32_t struct_size;
    /// The provider that sent it ("website", "meta", "twilio", …).
    memolib_str_t provider;
    /// The provider's message id; empty when the provider has none (the host then derives the
    /// dedup key from the content).
    memolib_str_t external_id;
    /// E.164 for phones ("+33612345678"), lower-case address for e-mail.
    memolib_str_t sender;
    /// The sender's display name, when known.
    memolib_str_t sender_name;
    memolib_str_t recipient;
    memolib_str_t subject;
    memolib_str_t text;
    memolib_str_t html;
    const memolib_attachment_t* attachments;
    size_t attachment_count;
    /// The provider's own timestamp, milliseconds since the Unix epoch; 0 when absent.
    int64_t provider_timestamp_ms;
    /// Channel-specific fields that have no column of their own (a phone number beside an
    /// e-mail sender, thread references…), as one JSON object; empty for none.
    memolib_str_t metadata_json;
} memolib_message_t;

/// ABI 1.1. What the host decided for a request: the plugin may shape the answer's form
/// (on_answer), never the outcome. A plugin ignores a value it does not know.
typedef enum memolib_outcome_kind_t {
    /// Every message is stored now (or there was none to store: see ACCEPTED).
    MEMOLIB_OUTCOME_STORED = 0,
    /// Every message was stored before: a provider's re-delivery.
    MEMOLIB_OUTCOME_DUPLICATE = 1,
    /// The request is kept for re-processing (it was authentic but could not be parsed).
    MEMOLIB_OUTCOME_QUARANTINED = 2,
    /// Taken with nothing to store (a status-only ping, a challenge), or committed to a spool.
    MEMOLIB_OUTCOME_ACCEPTED = 3,
    /// Refused for a reason the provider cannot fix by retrying (the 4xx answers but 429).
    MEMOLIB_OUTCOME_REJECTED = 4
} memolib_outcome_kind_t;

/// ABI 1.1. One message of an answered request, as the host's JSON answer lists it.
typedef struct memolib_answer_message_t {
    uint32_t struct_size;
    /// The row holding the message (the first row, for a duplicate).
    int64_t id;
    /// The message's dedup key, as lower-case hex.
    memolib_str_t checksum;
    /// "stored" or "duplicate".
    memolib_str_t status;
} memolib_answer_message_t;

/// ABI 1.1. The outcome of a request and the answer the host would send, handed to on_answer.
/// LIFETIME: valid for the duration of the hook call only.
typedef struct memolib_outcome_t {
    uint32_t struct_size;
    memolib_outcome_kind_t kind;
    /// The typed reason of a duplicate or a refusal ("duplicate", "invalid_payload", …);
    /// empty otherwise.
    memolib_str_t reason;
    memolib_str_t request_id;
    /// The host's answer: what is sent when the plugin does not call set_response.
    int http_status;
    memolib_str_t content_type;
    memolib_bytes_t body;
    const memolib_answer_message_t* messages;
    size_t message_count;
} memolib_outcome_t;

/// The host's callbacks. The host passes one to every hook; `ctx` identifies the call.
/// THREADING: a callback may be called only from the thread running the hook it was handed
/// to, and only before that hook returns.
typedef struct memolib_host_t {
    uint32_t struct_size;
    /// Opaque to the plugin: pass it back as the first argument of every callback.
    void* ctx;
    /// parse: append one normalized message. Returns 0 when accepted, non-zero when the host
    /// refuses it (too many messages); the plugin should then stop and return MEMOLIB_INVALID.
    int (*emit_message)(void* ctx, const memolib_message_t* message);
    /// verify / parse / configure: add one error detail. `field` names the offending input
    /// ("email", "entry[0].changes", a config key), `code` is a short machine-readable reason
    /// ("required", "invalid_format", "bad_signature"), `message` is for people.
    void (*add_error)(void* ctx, memolib_str_t field, memolib_str_t code, memolib_str_t message);
    /// handshake, and (ABI 1.1) on_answer: set the HTTP answer. The host copies `body`. In
    /// on_answer the status must keep the outcome's class: 2xx for STORED, QUARANTINED
    /// and ACCEPTED, 2xx or 409 for DUPLICATE, 4xx but 429 for REJECTED; the host refuses (and
    /// logs) any other. Called from another hook, it does nothing.
    void (*set_response)(void* ctx, int http_status, memolib_str_t content_type,
                         memolib_bytes_t body);
    /// Log one line through the host's logger. Never pass secrets or unmasked addresses.
    void (*log)(void* ctx, memolib_log_level_t level, memolib_str_t message);
    /// ABI 1.1. verify: claims `nonce`, the one-time value of a signature that does not cover
    /// the body (a Mailgun token), for `ttl_ms` (the signature's timestamp tolerance). The host
    /// remembers it for the channel, with a digest of this request's body, and across gateway
    /// instances when they share a store. Returns 0 when the nonce is new, or was claimed by a
    /// request with the same body (the provider's re-delivery, which dedup settles), or the
    /// host cannot tell (its store is unreachable: it fails open and logs); 1 when a request
    /// with another body claimed it: a replayed signature, to refuse with MEMOLIB_UNAUTHORIZED.
    /// Outside verify it returns 0 and remembers nothing. Check `struct_size` first: a 1.0
    /// host has no such member.
    int (*claim_nonce)(void* ctx, memolib_str_t nonce, int64_t ttl_ms);
    /// ABI 1.1. Any hook: the HMAC of `data` keyed with `key`, with the hash named by
    /// `algorithm` ("sha1", "sha256", "sha512" or "md5"), written to `out`. Returns the digest's
    /// length, or 0 (nothing written) for an unknown algorithm or an `out_size` too small
    /// (64 bytes always suffice). Check `struct_size` first: a 1.0 host has no such member.
    size_t (*hmac)(void* ctx, memolib_str_t algorithm, memolib_bytes_t key, memolib_bytes_t data,
                   uint8_t* out, size_t out_size);
    /// ABI 1.1. Any hook: the plain hash of `data` (same algorithms and return as hmac).
    size_t (*digest)(void* ctx, memolib_str_t algorithm, memolib_bytes_t data, uint8_t* out,
                     size_t out_size);
} memolib_host_t;

/// A plugin's validated configuration: every key of its declared schema, with its default
/// applied, as text. Sizes are in bytes and durations in milliseconds, written in decimal;
/// booleans are "true" or "false"; an absent optional key without a default is omitted.
/// LIFETIME: valid during on_create only.
typedef struct memolib_config_t {
    uint32_t struct_size;
    const memolib_pair_t* entries;
    size_t entry_count;
    /// The channel name the operator gave this instance in the YAML ("whatsapp").
    memolib_str_t channel;
} memolib_config_t;

/// An opaque plugin instance (one per configured channel).
typedef struct memolib_instance_t memolib_instance_t;

/// What a plugin is and what it does: returned by the entry point.
/// LIFETIME: static; the host reads it while the library is loaded.
/// Arrays of strings end with a NULL pointer.
typedef struct memolib_plugin_descriptor_t {
    uint32_t struct_size;
    /// MEMOLIB_SDK_ABI_MAJOR / MEMOLIB_SDK_ABI_MINOR the plugin was built against.
    uint32_t abi_major;
    uint32_t abi_minor;
    /// The plugin's name, which a channel names in `plugin:` (e.g. "form").
    const char* name;
    const char* version;
    const char* description;
    /// "stable" or "alpha".
    const char* status;
    /// The providers it understands ("website", "typeform", …).
    const char* const* providers;
    /// The media types it accepts, without parameters ("application/json", …).
    const char* const* content_types;
    /// Defaults the operator may override per channel.
    uint64_t default_max_body_bytes;
    uint32_t default_rate_requests;
    uint64_t default_rate_window_ms;
    /// The config schema, as YAML text: a map from key to
    /// `{type: string|integer|boolean|size|duration, default, required, secret, enum,
    ///   minimum, maximum, description}` (see docs/sdk.md).
    const char* config_schema_yaml;

    /// Create an instance for one channel from its validated config.
    /// Returns NULL on failure after reporting why through host->add_error.
    /// THREADING: called once per channel, on one thread, before any other hook.
    memolib_instance_t* (*on_create)(const memolib_config_t* config, const memolib_host_t* host);
    /// Destroy an instance. Called once, after every other call on it has returned.
    void (*on_destroy)(memolib_instance_t* instance);
    /// Check the provider's signature or token on the raw request.
    /// Returns MEMOLIB_OK or MEMOLIB_UNAUTHORIZED (with a reason through add_error).
    /// THREADING: called concurrently from several threads; must not mutate the instance.
    memolib_status_t (*on_verify)(const memolib_instance_t* instance,
                                  const memolib_request_t* request, const memolib_host_t* host);
    /// Answer a GET on the channel (e.g. Meta's hub.challenge) through host->set_response.
    /// May be NULL when the channel has no handshake. Same threading rule as on_verify.
    memolib_status_t (*on_handshake)(const memolib_instance_t* instance,
                                     const memolib_request_t* request, const memolib_host_t* host);
    /// Validate and normalize the request into 0..N messages through host->emit_message,
    /// or return MEMOLIB_INVALID / MEMOLIB_UNSUPPORTED_MEDIA_TYPE with errors through
    /// host->add_error. Same threading rule as on_verify.
    memolib_status_t (*on_parse)(const memolib_instance_t* instance,
                                 const memolib_request_t* request, const memolib_host_t* host);
    /// ABI 1.1. May be NULL. Shapes the answer to a POST (or message GET) of the channel once
    /// the host has decided its outcome: call host->set_response with the provider's own form
    /// of it (TwiML for Twilio, a challenge's echo), or return without calling it to keep the
    /// host's answer. Not called for answers the provider should retry (429, 5xx), nor for a
    /// dry run. Returning anything but MEMOLIB_OK keeps the host's answer. Same threading
    /// rule as on_verify.
    memolib_status_t (*on_answer)(const memolib_instance_t* instance,
                                  const memolib_request_t* request,
                                  const memolib_outcome_t* outcome, const memolib_host_t* host);
    /// ABI 1.1. May be NULL. The providers whose answers a person reads (a website form),
    /// NULL-terminated: a request of theirs whose every message is a duplicate is answered 409
    /// by default. Any other provider's re-delivery is answered 200, since a provider retries
    /// anything else for hours or days. A channel's `duplicate_status` overrides both.
    const char* const* person_facing_providers;
} memolib_plugin_descriptor_t;

/// The signature of the one symbol a plugin exports, named MEMOLIB_PLUGIN_ENTRY_SYMBOL.
/// It must not fail, allocate on the host's behalf or run anything but returning the
/// static descriptor.
typedef const memolib_plugin_descriptor_t* (*memolib_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif
