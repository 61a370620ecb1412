/// @file testing/fake_host.hpp
/// A header-only fake MemoLib host for a plugin's unit tests, so that an author can load the
/// plugin and drive its hooks without the gateway:
///
/// @code
///   memolib::sdk::testing::FakeHost host("build/plugins/form.so");
///   memolib::sdk::testing::FakeInstance form = host.create("form", {{"default_region", "FR"}});
///   memolib::sdk::testing::FakeRequest request;
///   request.content_type = "application/json";
///   request.body = R"({"email": "a@example.org", "message": "Hello"})";
///   memolib::sdk::testing::FakeResult result = form.parse(request);
///   // result.status, result.messages[0].sender, result.errors, result.violations…
/// @endcode
///
/// It talks to the plugin only through abi.h, exactly as the real host does, and copies
/// everything the plugin hands it into owned std::string fields. Beyond playing the host, it
/// records breaches of the ABI contract (a callback used from the wrong hook or thread, a NULL
/// view with a non-zero length, a struct too small for its fields) in FakeResult::violations.
///
/// Depends only on abi.h, adapter.hpp, the standard library and <dlfcn.h> (link with
/// ${CMAKE_DL_LIBS}). Its hmac and digest callbacks use the system's OpenSSL libcrypto, opened
/// with dlopen when a plugin first calls one, so a test links no crypto library either.
#pragma once

#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "memolib/sdk/abi.h"
#include "memolib/sdk/adapter.hpp"

namespace memolib::sdk::testing {

/// The whole content of a file, bytes as they are (fixtures: provider payloads, MIME with
/// CRLF line ends). Throws std::runtime_error naming the path when it cannot be read.
inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// One webhook request as a test writes it; FakeInstance turns it into a memolib_request_t
/// whose views borrow these strings for the duration of one hook call.
struct FakeRequest {
    /// "GET" or "POST".
    std::string method = "POST";
    /// The path without the query string.
    std::string path = "/webhooks/test";
    /// The raw query string, without '?'.
    std::string query;
    /// The full Content-Type value, parameters included; empty for none.
    std::string content_type;
    /// The URL the provider signed.
    std::string public_url;
    /// Headers in arrival order; names keep their case.
    std::vector<std::pair<std::string, std::string>> headers;
    /// The raw body, handed over byte for byte.
    std::string body;
    /// The client's IP address as text.
    std::string remote_address = "127.0.0.1";
    /// The host clock at arrival, milliseconds since the Unix epoch; pin it in tests.
    std::int64_t received_at_ms = 0;
};

/// The outcome a test hands to an answer hook (FakeInstance::answer), as the host would.
struct FakeOutcome {
    OutcomeKind kind = OutcomeKind::kStored;
    std::string reason;
    std::string request_id = "test-request";
    /// The host's own answer.
    int http_status = 200;
    std::string content_type = "application/json";
    std::string body = R"({"status":"stored"})";
    /// The messages of the answer: row id, checksum (hex dedup key), "stored" or "duplicate".
    struct MessageRef {
        std::int64_t id = 0;
        std::string checksum;
        std::string status = "stored";
    };
    std::vector<MessageRef> messages;
};

/// One error detail a hook reported through memolib_host_t::add_error (owned copy).
struct FakeError {
    std::string field;
    std::string code;
    std::string message;
};

/// One line a hook logged through memolib_host_t::log (owned copy).
struct FakeLogLine {
    memolib_log_level_t level = MEMOLIB_LOG_INFO;
    std::string message;
};

/// The HTTP answer a handshake or an answer hook set through memolib_host_t::set_response
/// (owned copy).
struct FakeResponse {
    int status = 0;
    std::string content_type;
    std::string body;
};

/// Everything one hook call did, owned by the caller once the call returned.
struct FakeResult {
    /// What the hook returned; for FakeHost::create, kOk when the instance exists and kInvalid
    /// when on_create returned NULL.
    Status status = Status::kInternalError;
    /// The messages emitted, in order, copied into owned strings (attachments included).
    std::vector<Message> messages;
    /// The error details added, in order.
    std::vector<FakeError> errors;
    /// The answer a handshake or an answer hook set, if it set one (the last call wins).
    std::optional<FakeResponse> response;
    /// The lines logged, in order.
    std::vector<FakeLogLine> logs;
    /// Breaches of the ABI contract the fake noticed; a correct plugin leaves it empty.
    std::vector<std::string> violations;

    /// True when some error has this field and this code.
    bool has_error(std::string_view field, std::string_view code) const {
        for (const FakeError& e : errors) {
            if (e.field == field && e.code == code) return true;
        }
        return false;
    }

    /// The first error about `field`, or nullptr; the pointer lives as long as this result.
    const FakeError* find_error(std::string_view field) const {
        for (const FakeError& e : errors) {
            if (e.field == field) return &e;
        }
        return nullptr;
    }

    /// The errors and violations as "field/code: message" lines, for test failure messages.
    std::string describe() const {
        std::string out;
        for (const FakeError& e : errors) {
            out += e.field + "/" + e.code + ": " + e.message + "\n";
        }
        for (const std::string& v : violations) out += "violation: " + v + "\n";
        return out;
    }
};

namespace detail {

/// A loaded plugin: the dlopen handle (NULL when the descriptor was handed over directly) and
/// its checked descriptor. Shared by the host and every instance so the library stays loaded
/// until the last of them is gone, as the real host does with Boost.DLL.
class FakeLibrary {
public:
    /// Takes ownership of `handle` (closed on destruction; may be NULL) and borrows
    /// `descriptor`, which must stay valid while the library is loaded.
    FakeLibrary(void* handle, const memolib_plugin_descriptor_t* descriptor)
        : handle_(handle), descriptor_(descriptor) {}
    FakeLibrary(const FakeLibrary&) = delete;
    FakeLibrary& operator=(const FakeLibrary&) = delete;
    ~FakeLibrary() {
        if (handle_ != nullptr) dlclose(handle_);
    }
    /// The checked descriptor; valid as long as this object.
    const memolib_plugin_descriptor_t& descriptor() const noexcept { return *descriptor_; }

private:
    /// The dlopen handle, owned; NULL for a descriptor handed over directly.
    void* handle_;
    /// Static storage of the plugin.
    const memolib_plugin_descriptor_t* descriptor_;
};

/// Which hook a callback context belongs to, so that a misplaced callback is a violation.
enum class FakeHook { kCreate, kVerify, kHandshake, kParse, kAnswer };

/// The nonces one instance's verify calls claimed through memolib_host_t::claim_nonce: each
/// with the body that claimed it and when the claim ends, on the requests' own clock
/// (FakeRequest::received_at_ms), so a test moves time by setting it. Unbounded: a test tool.
struct FakeNonces {
    struct Claim {
        std::string body;
        std::int64_t expires_at_ms;
    };
    std::mutex mutex;
    std::map<std::string, Claim> claims;
};

/// The state behind memolib_host_t::ctx for one hook call.
/// LIFETIME: lives on the stack of the FakeInstance call that runs the hook.
struct FakeCall {
    /// The hook being run.
    FakeHook hook;
    /// Where the callbacks record what the hook does; owned by the caller.
    FakeResult* result;
    /// The thread running the hook, the only one allowed to call back.
    std::thread::id thread;
    /// emit_message refuses every message past this count.
    std::size_t max_messages;
    /// The instance's claimed nonces, shared by its calls.
    FakeNonces* nonces;
    /// The request the hook runs on.
    const FakeRequest* request;
    /// Hand the plugin a memolib_host_t as a 1.0 host does: without claim_nonce.
    bool host_1_0 = false;
    /// The outcome an answer hook runs on; null for the other hooks.
    const FakeOutcome* outcome = nullptr;
};

/// True when a struct whose writer set `struct_size` covers `end` bytes (a field's offset
/// plus its size).
inline bool covers(std::uint32_t struct_size, std::size_t end) noexcept {
    return struct_size >= end;
}

/// True when `object`'s struct_size covers `field` (undefined again below this header's use).
#define MEMOLIB_FAKE_COVERS(object, type, field)                  \
    ::memolib::sdk::testing::detail::covers((object).struct_size, \
                                            offsetof(type, field) + sizeof((object).field))

/// Copies a view, recording a violation when it is NULL with a non-zero length.
inline std::string copy_view(FakeCall& call, memolib_str_t s, const char* what) {
    if (s.ptr == nullptr) {
        if (s.len != 0) {
            call.result->violations.push_back(std::string(what) + ": NULL view of " +
                                              std::to_string(s.len) + " bytes");
        }
        return {};
    }
    return std::string(s.ptr, s.len);
}

/// Records a violation when a callback runs on another thread than its hook's.
inline void check_thread(FakeCall& call, const char* callback) {
    if (call.thread != std::this_thread::get_id()) {
        call.result->violations.push_back(std::string(callback) +
                                          " called from another thread than its hook's");
    }
}

/// An owned copy of an attachment descriptor, reading only the fields its struct_size covers.
inline Attachment copy_attachment(FakeCall& call, const memolib_attachment_t& a) {
    Attachment out;
    if (!MEMOLIB_FAKE_COVERS(a, memolib_attachment_t, provider_id)) {
        call.result->violations.push_back("attachment struct_size " +
                                          std::to_string(a.struct_size) + " is too small");
    }
    if (MEMOLIB_FAKE_COVERS(a, memolib_attachment_t, name)) {
        out.name = copy_view(call, a.name, "attachment.name");
    }
    if (MEMOLIB_FAKE_COVERS(a, memolib_attachment_t, content_type)) {
        out.content_type = copy_view(call, a.content_type, "attachment.content_type");
    }
    if (MEMOLIB_FAKE_COVERS(a, memolib_attachment_t, size)) out.size = a.size;
    if (MEMOLIB_FAKE_COVERS(a, memolib_attachment_t, url)) {
        out.url = copy_view(call, a.url, "attachment.url");
    }
    if (MEMOLIB_FAKE_COVERS(a, memolib_attachment_t, provider_id)) {
        out.provider_id = copy_view(call, a.provider_id, "attachment.provider_id");
    }
    return out;
}

/// An owned copy of a message, reading only the fields its struct_size covers.
inline Message copy_message(FakeCall& call, const memolib_message_t& m) {
    Message out;
    if (!MEMOLIB_FAKE_COVERS(m, memolib_message_t, metadata_json)) {
        call.result->violations.push_back("message struct_size " + std::to_string(m.struct_size) +
                                          " is too small");
    }
    auto str = [&](bool covered, memolib_str_t s, const char* what) {
        return covered ? copy_view(call, s, what) : std::string{};
    };
    out.provider =
        str(MEMOLIB_FAKE_COVERS(m, memolib_message_t, provider), m.provider, "message.provider");
    out.external_id = str(MEMOLIB_FAKE_COVERS(m, memolib_message_t, external_id), m.external_id,
                          "message.external_id");
    out.sender = str(MEMOLIB_FAKE_COVERS(m, memolib_message_t, sender), m.sender, "message.sender");
    out.sender_name = str(MEMOLIB_FAKE_COVERS(m, memolib_message_t, sender_name), m.sender_name,
                          "message.sender_name");
    out.recipient =
        str(MEMOLIB_FAKE_COVERS(m, memolib_message_t, recipient), m.recipient, "message.recipient");
    out.subject =
        str(MEMOLIB_FAKE_COVERS(m, memolib_message_t, subject), m.subject, "message.subject");
    out.text = str(MEMOLIB_FAKE_COVERS(m, memolib_message_t, text), m.text, "message.text");
    out.html = str(MEMOLIB_FAKE_COVERS(m, memolib_message_t, html), m.html, "message.html");
    if (MEMOLIB_FAKE_COVERS(m, memolib_message_t, attachment_count) && m.attachment_count > 0) {
        if (m.attachments == nullptr) {
            call.result->violations.push_back("message.attachments is NULL with " +
                                              std::to_string(m.attachment_count) + " attachments");
        } else {
            for (std::size_t i = 0; i < m.attachment_count; ++i) {
                out.attachments.push_back(copy_attachment(call, m.attachments[i]));
            }
        }
    }
    if (MEMOLIB_FAKE_COVERS(m, memolib_message_t, provider_timestamp_ms)) {
        out.provider_timestamp_ms = m.provider_timestamp_ms;
    }
    out.metadata_json = str(MEMOLIB_FAKE_COVERS(m, memolib_message_t, metadata_json),
                            m.metadata_json, "message.metadata_json");
    return out;
}

#undef MEMOLIB_FAKE_COVERS

/// True when an answer hook may set `status` for its call's outcome (see set_response).
inline bool answer_status_allowed(const FakeCall& call, int status) {
    const bool success = status >= 200 && status <= 299;
    switch (call.outcome != nullptr ? call.outcome->kind : OutcomeKind::kStored) {
        case OutcomeKind::kDuplicate:
            return success || status == 409;
        case OutcomeKind::kRejected:
            return status >= 400 && status <= 499 && status != 429;
        default:
            return success;
    }
}

/// OpenSSL's one-shot HMAC and digest functions, from the system's libcrypto (3 or 1.1),
/// opened once; all null when it cannot be found.
struct FakeCrypto {
    using GetDigest = const void* (*)(const char*);
    using Hmac = unsigned char* (*)(const void*, const void*, int, const unsigned char*,
                                    std::size_t, unsigned char*, unsigned int*);
    using Digest = int (*)(const void*, std::size_t, unsigned char*, unsigned int*, const void*,
                           void*);
    GetDigest get_digest = nullptr;
    Hmac hmac = nullptr;
    Digest digest = nullptr;

    static const FakeCrypto& get() {
        static const FakeCrypto kCrypto = [] {
            FakeCrypto c;
            void* lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
            if (lib == nullptr) lib = dlopen("libcrypto.so.1.1", RTLD_NOW | RTLD_LOCAL);
            if (lib == nullptr) return c;
            c.get_digest = reinterpret_cast<GetDigest>(dlsym(lib, "EVP_get_digestbyname"));
            c.hmac = reinterpret_cast<Hmac>(dlsym(lib, "HMAC"));
            c.digest = reinterpret_cast<Digest>(dlsym(lib, "EVP_Digest"));
            return c;
        }();
        return kCrypto;
    }

    /// The algorithm the ABI names, or null for one it does not.
    const void* algorithm(std::string_view name) const {
        static const char* const kNames[] = {"md5", "sha1", "sha256", "sha512"};
        for (const char* known : kNames) {
            if (name == known) return get_digest != nullptr ? get_digest(known) : nullptr;
        }
        return nullptr;
    }
};

/// The fake's callbacks. Each catches everything, since no exception may cross the boundary.
struct FakeCallbacks {
    /// memolib_host_t::emit_message: copies the message; refuses it outside parse or past
    /// FakeInstance::set_max_messages.
    static int emit_message(void* ctx, const memolib_message_t* message) noexcept {
        try {
            FakeCall& call = *static_cast<FakeCall*>(ctx);
            check_thread(call, "emit_message");
            if (call.hook != FakeHook::kParse) {
                call.result->violations.emplace_back("emit_message called outside parse");
                return 1;
            }
            if (message == nullptr) {
                call.result->violations.emplace_back("emit_message called with NULL");
                return 1;
            }
            if (call.result->messages.size() >= call.max_messages) return 1;
            call.result->messages.push_back(copy_message(call, *message));
            return 0;
        } catch (...) {
            return 1;
        }
    }

    /// memolib_host_t::add_error: records the detail, in every hook.
    static void add_error(void* ctx, memolib_str_t field, memolib_str_t code,
                          memolib_str_t message) noexcept {
        try {
            FakeCall& call = *static_cast<FakeCall*>(ctx);
            check_thread(call, "add_error");
            call.result->errors.push_back({copy_view(call, field, "error.field"),
                                           copy_view(call, code, "error.code"),
                                           copy_view(call, message, "error.message")});
        } catch (...) {
        }
    }

    /// memolib_host_t::set_response: records the answer; a violation outside handshake.
    static void set_response(void* ctx, int http_status, memolib_str_t content_type,
                             memolib_bytes_t body) noexcept {
        try {
            FakeCall& call = *static_cast<FakeCall*>(ctx);
            check_thread(call, "set_response");
            if (call.hook != FakeHook::kHandshake && call.hook != FakeHook::kAnswer) {
                call.result->violations.emplace_back(
                    "set_response called outside handshake and answer");
                return;
            }
            if (call.hook == FakeHook::kAnswer && !answer_status_allowed(call, http_status)) {
                call.result->violations.push_back(
                    "set_response: status " + std::to_string(http_status) +
                    " changes the outcome's class (the host refuses it)");
                return;
            }
            FakeResponse response;
            response.status = http_status;
            response.content_type = copy_view(call, content_type, "response.content_type");
            response.body = copy_view(call, {reinterpret_cast<const char*>(body.ptr), body.len},
                                      "response.body");
            call.result->response = std::move(response);
        } catch (...) {
        }
    }

    /// memolib_host_t::claim_nonce: 1 when an unexpired claim of `nonce` came with another
    /// body, else 0 (and the claim is recorded when new); a violation outside verify.
    static int claim_nonce(void* ctx, memolib_str_t nonce, std::int64_t ttl_ms) noexcept {
        try {
            FakeCall& call = *static_cast<FakeCall*>(ctx);
            check_thread(call, "claim_nonce");
            if (call.hook != FakeHook::kVerify) {
                call.result->violations.emplace_back("claim_nonce called outside verify");
                return 0;
            }
            const std::string key = copy_view(call, nonce, "nonce");
            const std::int64_t now = call.request->received_at_ms;
            std::lock_guard<std::mutex> lock(call.nonces->mutex);
            auto it = call.nonces->claims.find(key);
            if (it != call.nonces->claims.end() && it->second.expires_at_ms > now) {
                return it->second.body == call.request->body ? 0 : 1;
            }
            call.nonces->claims[key] = {call.request->body, now + ttl_ms};
            return 0;
        } catch (...) {
            return 0;
        }
    }

    /// memolib_host_t::hmac: OpenSSL's HMAC; 0 for an unknown algorithm or a small buffer.
    static std::size_t hmac(void* ctx, memolib_str_t algorithm, memolib_bytes_t key,
                            memolib_bytes_t data, std::uint8_t* out,
                            std::size_t out_size) noexcept {
        try {
            FakeCall& call = *static_cast<FakeCall*>(ctx);
            check_thread(call, "hmac");
            const FakeCrypto& crypto = FakeCrypto::get();
            const void* md = crypto.algorithm(copy_view(call, algorithm, "hmac.algorithm"));
            if (md == nullptr || crypto.hmac == nullptr || out_size < 64) return 0;
            unsigned int n = 0;
            const unsigned char* k = key.ptr != nullptr ? key.ptr : out;
            if (crypto.hmac(md, k, static_cast<int>(key.len), data.ptr, data.len, out, &n) ==
                nullptr) {
                return 0;
            }
            return n;
        } catch (...) {
            return 0;
        }
    }

    /// memolib_host_t::digest: OpenSSL's EVP_Digest; same returns as hmac.
    static std::size_t digest(void* ctx, memolib_str_t algorithm, memolib_bytes_t data,
                              std::uint8_t* out, std::size_t out_size) noexcept {
        try {
            FakeCall& call = *static_cast<FakeCall*>(ctx);
            check_thread(call, "digest");
            const FakeCrypto& crypto = FakeCrypto::get();
            const void* md = crypto.algorithm(copy_view(call, algorithm, "digest.algorithm"));
            if (md == nullptr || crypto.digest == nullptr || out_size < 64) return 0;
            unsigned int n = 0;
            static const unsigned char kEmpty = 0;
            const unsigned char* d = data.ptr != nullptr ? data.ptr : &kEmpty;
            return crypto.digest(d, data.len, out, &n, md, nullptr) == 1 ? n : 0;
        } catch (...) {
            return 0;
        }
    }

    /// memolib_host_t::log: records the line, in every hook.
    static void log(void* ctx, memolib_log_level_t level, memolib_str_t message) noexcept {
        try {
            FakeCall& call = *static_cast<FakeCall*>(ctx);
            check_thread(call, "log");
            call.result->logs.push_back({level, copy_view(call, message, "log.message")});
        } catch (...) {
        }
    }
};

/// A memolib_host_t whose ctx is `call`.
/// LIFETIME: must not outlive `call`.
inline memolib_host_t make_host(FakeCall& call) noexcept {
    memolib_host_t host{};
    host.struct_size = call.host_1_0
                           ? static_cast<std::uint32_t>(offsetof(memolib_host_t, claim_nonce))
                           : static_cast<std::uint32_t>(sizeof(memolib_host_t));
    host.ctx = &call;
    host.emit_message = &FakeCallbacks::emit_message;
    host.add_error = &FakeCallbacks::add_error;
    host.set_response = &FakeCallbacks::set_response;
    host.log = &FakeCallbacks::log;
    host.claim_nonce = &FakeCallbacks::claim_nonce;
    host.hmac = &FakeCallbacks::hmac;
    host.digest = &FakeCallbacks::digest;
    return host;
}

/// Checks a descriptor the way the real loader does; throws std::runtime_error naming `origin`.
inline void check_descriptor(const memolib_plugin_descriptor_t* d, const std::string& origin) {
    if (d == nullptr) throw std::runtime_error(origin + ": the entry point returned NULL");
    if (d->struct_size < offsetof(memolib_plugin_descriptor_t, on_parse) + sizeof(d->on_parse)) {
        throw std::runtime_error(origin + ": descriptor struct_size " +
                                 std::to_string(d->struct_size) + " is too small");
    }
    if (d->abi_major != MEMOLIB_SDK_ABI_MAJOR || d->abi_minor > MEMOLIB_SDK_ABI_MINOR) {
        throw std::runtime_error(origin + ": plugin ABI " + std::to_string(d->abi_major) + "." +
                                 std::to_string(d->abi_minor) + ", fake host ABI " +
                                 std::to_string(MEMOLIB_SDK_ABI_MAJOR) + "." +
                                 std::to_string(MEMOLIB_SDK_ABI_MINOR));
    }
    if (d->name == nullptr || d->on_create == nullptr || d->on_destroy == nullptr ||
        d->on_verify == nullptr || d->on_parse == nullptr) {
        throw std::runtime_error(origin + ": descriptor lacks a name or a required hook");
    }
}

}  // namespace detail

/// One plugin instance (one configured channel), destroyed through on_destroy when this
/// object goes. Movable, not copyable.
/// THREADING: verify, handshake and parse may run concurrently from several threads, as the
/// real host runs them; set_max_messages, moving and destroying must not race with them.
class FakeInstance {
public:
    /// An empty instance: operator bool is false and every hook throws std::logic_error.
    FakeInstance() = default;
    FakeInstance(const FakeInstance&) = delete;
    FakeInstance& operator=(const FakeInstance&) = delete;
    /// Takes over `other`'s plugin instance; `other` becomes empty.
    FakeInstance(FakeInstance&& other) noexcept { swap(other); }
    /// Destroys this instance's plugin instance, then takes over `other`'s.
    FakeInstance& operator=(FakeInstance&& other) noexcept {
        if (this != &other) {
            reset();
            swap(other);
        }
        return *this;
    }
    /// Destroys the plugin instance (on_destroy), if any.
    ~FakeInstance() { reset(); }

    /// True when on_create returned an instance.
    explicit operator bool() const noexcept { return instance_ != nullptr; }

    /// What on_create reported: its errors (why it refused the config), logs and violations.
    const FakeResult& creation() const noexcept { return creation_; }

    /// Runs on_verify on `request`.
    FakeResult verify(const FakeRequest& request) const {
        return call(detail::FakeHook::kVerify, request);
    }
    /// Runs on_handshake on `request`; kNotHandled when the plugin has no handshake.
    FakeResult handshake(const FakeRequest& request) const {
        return call(detail::FakeHook::kHandshake, request);
    }
    /// Runs on_parse on `request`.
    FakeResult parse(const FakeRequest& request) const {
        return call(detail::FakeHook::kParse, request);
    }
    /// Runs on_answer on `request` with `outcome` (ABI 1.1); kOk and no response when the
    /// plugin has no answer hook, as the host then keeps its own answer.
    FakeResult answer(const FakeRequest& request, const FakeOutcome& outcome) const {
        return call(detail::FakeHook::kAnswer, request, &outcome);
    }

    /// Makes emit_message refuse every message beyond the first `n` of a call, as the host
    /// does past its per-request limit (unlimited by default).
    void set_max_messages(std::size_t n) noexcept { max_messages_ = n; }

    /// Hands the hooks a memolib_host_t the size of ABI 1.0's, as a 1.0 host does, so that a
    /// test can check the plugin's fallback when claim_nonce is absent (off by default).
    void set_host_abi_1_0(bool on) noexcept { host_1_0_ = on; }

    /// Destroys the plugin instance now (on_destroy); the object becomes empty.
    void reset() noexcept {
        if (instance_ != nullptr) library_->descriptor().on_destroy(instance_);
        instance_ = nullptr;
        library_.reset();
    }

private:
    friend class FakeHost;

    /// Exchanges everything with `other`.
    void swap(FakeInstance& other) noexcept {
        std::swap(library_, other.library_);
        std::swap(instance_, other.instance_);
        std::swap(creation_, other.creation_);
        std::swap(max_messages_, other.max_messages_);
        std::swap(nonces_, other.nonces_);
        std::swap(host_1_0_, other.host_1_0_);
    }

    /// Builds the ABI request and host over `request`, runs `hook` and returns what it did.
    FakeResult call(detail::FakeHook hook, const FakeRequest& request,
                    const FakeOutcome* outcome = nullptr) const {
        if (instance_ == nullptr) throw std::logic_error("FakeInstance: no plugin instance");
        std::vector<memolib_pair_t> headers;
        headers.reserve(request.headers.size());
        for (const auto& [name, value] : request.headers) {
            headers.push_back({to_abi(name), to_abi(value)});
        }
        memolib_request_t raw{};
        raw.struct_size = sizeof(memolib_request_t);
        raw.method = to_abi(request.method);
        raw.path = to_abi(request.path);
        raw.query = to_abi(request.query);
        raw.content_type = to_abi(request.content_type);
        raw.public_url = to_abi(request.public_url);
        raw.headers = headers.empty() ? nullptr : headers.data();
        raw.header_count = headers.size();
        raw.body = {reinterpret_cast<const std::uint8_t*>(request.body.data()),
                    request.body.size()};
        raw.remote_address = to_abi(request.remote_address);
        raw.received_at_ms = request.received_at_ms;

        FakeResult result;
        detail::FakeCall state{hook,          &result,       std::this_thread::get_id(),
                               max_messages_, nonces_.get(), &request,
                               host_1_0_,     outcome};
        std::vector<memolib_answer_message_t> answer_messages;
        memolib_outcome_t raw_outcome{};
        if (outcome != nullptr) {
            for (const FakeOutcome::MessageRef& m : outcome->messages) {
                memolib_answer_message_t abi{};
                abi.struct_size = sizeof abi;
                abi.id = m.id;
                abi.checksum = to_abi(m.checksum);
                abi.status = to_abi(m.status);
                answer_messages.push_back(abi);
            }
            raw_outcome.struct_size = sizeof raw_outcome;
            raw_outcome.kind = static_cast<memolib_outcome_kind_t>(outcome->kind);
            raw_outcome.reason = to_abi(outcome->reason);
            raw_outcome.request_id = to_abi(outcome->request_id);
            raw_outcome.http_status = outcome->http_status;
            raw_outcome.content_type = to_abi(outcome->content_type);
            raw_outcome.body = {reinterpret_cast<const std::uint8_t*>(outcome->body.data()),
                                outcome->body.size()};
            raw_outcome.messages = answer_messages.empty() ? nullptr : answer_messages.data();
            raw_outcome.message_count = answer_messages.size();
        }
        const memolib_host_t host = detail::make_host(state);
        const memolib_plugin_descriptor_t& d = library_->descriptor();
        memolib_status_t status = MEMOLIB_INTERNAL_ERROR;
        switch (hook) {
            case detail::FakeHook::kVerify:
                status = d.on_verify(instance_, &raw, &host);
                break;
            case detail::FakeHook::kHandshake:
                status = d.on_handshake != nullptr ? d.on_handshake(instance_, &raw, &host)
                                                   : MEMOLIB_NOT_HANDLED;
                break;
            case detail::FakeHook::kParse:
                status = d.on_parse(instance_, &raw, &host);
                break;
            case detail::FakeHook::kAnswer:
                status = answer_hook(d) != nullptr
                             ? answer_hook(d)(instance_, &raw, &raw_outcome, &host)
                             : MEMOLIB_OK;
                break;
            case detail::FakeHook::kCreate:
                break;
        }
        result.status = static_cast<Status>(status);
        if (hook == detail::FakeHook::kParse && result.status != Status::kOk &&
            !result.messages.empty()) {
            result.violations.emplace_back("parse emitted messages but did not return OK");
        }
        return result;
    }

    /// The descriptor's on_answer, when its struct_size covers it.
    static decltype(memolib_plugin_descriptor_t::on_answer) answer_hook(
        const memolib_plugin_descriptor_t& d) noexcept {
        return d.struct_size >=
                       offsetof(memolib_plugin_descriptor_t, on_answer) + sizeof(d.on_answer)
                   ? d.on_answer
                   : nullptr;
    }

    /// Keeps the plugin loaded while the instance exists; null when empty.
    std::shared_ptr<const detail::FakeLibrary> library_;
    /// Owned: released through on_destroy.
    memolib_instance_t* instance_ = nullptr;
    /// What on_create reported.
    FakeResult creation_;
    /// See set_max_messages.
    std::size_t max_messages_ = std::numeric_limits<std::size_t>::max();
    /// The nonces this instance's verify calls claimed (memolib_host_t::claim_nonce).
    std::shared_ptr<detail::FakeNonces> nonces_ = std::make_shared<detail::FakeNonces>();
    /// See set_host_abi_1_0.
    bool host_1_0_ = false;
};

/// A fake host holding one plugin: loads it, checks its descriptor as the real loader does,
/// and creates instances of it.
/// THREADING: construct and create from one thread; the instances may then be used from
/// several (see FakeInstance).
class FakeHost {
public:
    /// Loads the plugin at `plugin_path` with dlopen(RTLD_NOW | RTLD_LOCAL) and resolves
    /// MEMOLIB_PLUGIN_ENTRY_SYMBOL. Throws std::runtime_error, naming the path, when the file
    /// does not load, has no entry point, or its descriptor is incompatible with this SDK.
    explicit FakeHost(const std::string& plugin_path) {
        void* handle = dlopen(plugin_path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            const char* why = dlerror();
            throw std::runtime_error(plugin_path + ": " + (why != nullptr ? why : "dlopen failed"));
        }
        void* symbol = dlsym(handle, MEMOLIB_PLUGIN_ENTRY_SYMBOL);
        if (symbol == nullptr) {
            dlclose(handle);
            throw std::runtime_error(plugin_path + ": no " MEMOLIB_PLUGIN_ENTRY_SYMBOL " symbol");
        }
        auto entry = reinterpret_cast<memolib_plugin_entry_fn>(symbol);
        const memolib_plugin_descriptor_t* descriptor = entry();
        try {
            detail::check_descriptor(descriptor, plugin_path);
        } catch (...) {
            dlclose(handle);
            throw;
        }
        library_ = std::make_shared<const detail::FakeLibrary>(handle, descriptor);
    }

    /// Uses a descriptor already in the process (a plugin compiled into the test or fuzzer,
    /// e.g. `FakeHost(memolib_plugin_v1())`). The descriptor must stay valid as long as this
    /// host and its instances. Throws std::runtime_error when it is incompatible.
    explicit FakeHost(const memolib_plugin_descriptor_t* descriptor) {
        detail::check_descriptor(descriptor, "descriptor");
        library_ = std::make_shared<const detail::FakeLibrary>(nullptr, descriptor);
    }

    /// The plugin's descriptor. LIFETIME: valid as long as this host.
    const memolib_plugin_descriptor_t& descriptor() const noexcept {
        return library_->descriptor();
    }

    /// Creates an instance for `channel` from `config`, passed as is: no schema default is
    /// applied, so give every key the plugin reads. On refusal the returned instance is empty
    /// and creation().errors says why. The instance keeps the library loaded.
    FakeInstance create(std::string_view channel,
                        const std::map<std::string, std::string>& config = {}) const {
        std::vector<memolib_pair_t> entries;
        entries.reserve(config.size());
        for (const auto& [key, value] : config) entries.push_back({to_abi(key), to_abi(value)});
        memolib_config_t raw{};
        raw.struct_size = sizeof(memolib_config_t);
        raw.entries = entries.empty() ? nullptr : entries.data();
        raw.entry_count = entries.size();
        raw.channel = to_abi(channel);

        FakeInstance out;
        detail::FakeCall state{detail::FakeHook::kCreate,
                               &out.creation_,
                               std::this_thread::get_id(),
                               0,
                               nullptr,
                               nullptr,
                               false,
                               nullptr};
        const memolib_host_t host = detail::make_host(state);
        out.instance_ = library_->descriptor().on_create(&raw, &host);
        if (out.instance_ != nullptr) {
            out.library_ = library_;
            out.creation_.status = Status::kOk;
        } else {
            out.creation_.status = Status::kInvalid;
            if (out.creation_.errors.empty()) {
                out.creation_.violations.emplace_back("on_create returned NULL without an error");
            }
        }
        return out;
    }

private:
    /// The loaded plugin, shared with every instance created from it.
    std::shared_ptr<const detail::FakeLibrary> library_;
};

}  // namespace memolib::sdk::testing
