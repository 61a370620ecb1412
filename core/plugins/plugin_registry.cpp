#include "plugins/plugin_registry.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <filesystem>

#include <boost/beast/core/string.hpp>
#include <boost/dll/shared_library.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "config/gateway_config.hpp"
#include "observability/logger.hpp"
#include "plugins/elf_file_check.hpp"
#include "plugins/nonce_store.hpp"
#include "util/encoding.hpp"
#include "util/sha256.hpp"
#include "util/utf8.hpp"

namespace memolib::core {

namespace {

// The descriptor as SDK 1.0 defines it ends with on_parse: anything shorter is not a plugin
// of this major, whatever it claims.
constexpr std::size_t kMinDescriptorSize =
    offsetof(memolib_plugin_descriptor_t, on_parse) + sizeof(void*);
constexpr std::size_t kMinMessageSize =
    offsetof(memolib_message_t, metadata_json) + sizeof(memolib_str_t);
constexpr std::size_t kMinAttachmentSize =
    offsetof(memolib_attachment_t, provider_id) + sizeof(memolib_str_t);

// Reads JSON without building it, noting a NUL character (written "\u0000") in a string or
// a name.
struct NulFinder : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, NulFinder> {
    bool nul = false;
    bool String(const char* s, rapidjson::SizeType length, bool /*copy*/) {
        nul = nul || std::memchr(s, '\0', length) != nullptr;
        return true;
    }
    bool Key(const char* s, rapidjson::SizeType length, bool copy) {
        return String(s, length, copy);
    }
};

// Metadata is stored as JSON (jsonb on PostgreSQL): text that is not JSON is kept as a JSON
// string, which is how the read API showed it anyway; false when it holds a NUL character,
// which neither storage keeps, as in any other text. `metadata` holds no NUL byte itself.
bool metadata_as_json(std::string& metadata) {
    if (metadata.empty()) return true;
    NulFinder finder;
    rapidjson::Reader reader;
    rapidjson::StringStream in(metadata.c_str());
    if (!reader.Parse(in, finder).IsError()) return !finder.nul;
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.String(metadata.c_str(), static_cast<rapidjson::SizeType>(metadata.size()));
    metadata.assign(buf.GetString(), buf.GetSize());
    return true;
}

std::string str(memolib_str_t s) {
    return s.ptr == nullptr ? std::string{} : std::string(s.ptr, s.len);
}

std::vector<std::string> string_list(const char* const* list) {
    std::vector<std::string> out;
    // Bounded so that a missing NULL terminator cannot walk off into memory forever.
    for (std::size_t i = 0; list != nullptr && list[i] != nullptr && i < 64; ++i)
        out.emplace_back(list[i]);
    return out;
}

bool valid_plugin_name(const char* name) {
    if (name == nullptr || *name == '\0') return false;
    std::string_view n(name);
    return n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
           });
}

int cb_emit(void* ctx, const memolib_message_t* m) {
    auto& out = *static_cast<PluginCallResult*>(ctx);
    if (m == nullptr || m->struct_size < kMinMessageSize) {
        out.errors.push_back({"", "plugin_error", "the plugin emitted a malformed message"});
        return 1;
    }
    if (out.messages.size() >= out.max_messages) {
        out.errors.push_back(
            {"", "too_many_messages",
             "more than " + std::to_string(out.max_messages) + " messages in one request"});
        return 1;
    }
    NormalizedMessage msg;
    msg.provider = str(m->provider);
    msg.external_id = str(m->external_id);
    msg.sender = str(m->sender);
    msg.sender_name = str(m->sender_name);
    msg.recipient = str(m->recipient);
    msg.subject = str(m->subject);
    msg.text = str(m->text);
    msg.html = str(m->html);
    msg.provider_timestamp_ms = m->provider_timestamp_ms;
    // RFC 3339 and PostgreSQL's timestamptz know the years 1 to 9999: a provider time outside
    // them is no time, kept as absent rather than refusing the message, which is not the
    // provider's to correct.
    constexpr std::int64_t kYear1Ms = -62'135'596'800'000;
    constexpr std::int64_t kYear10000Ms = 253'402'300'800'000;
    if (msg.provider_timestamp_ms < kYear1Ms || msg.provider_timestamp_ms >= kYear10000Ms) {
        log().warn(
            "provider_timestamp_out_of_range",
            {{"provider", msg.provider}, {"provider_timestamp_ms", msg.provider_timestamp_ms}});
        msg.provider_timestamp_ms = 0;
    }
    msg.metadata_json = str(m->metadata_json);
    for (std::size_t i = 0; m->attachments != nullptr && i < m->attachment_count; ++i) {
        const memolib_attachment_t& a = m->attachments[i];
        if (a.struct_size < kMinAttachmentSize) continue;
        msg.attachments.push_back(
            {str(a.name), str(a.content_type), a.size, str(a.url), str(a.provider_id)});
    }
    // Storage rejects text that is not UTF-8; refusing it here keeps that a 400, not a 500.
    const auto text = [](const std::string& s) {
        return is_valid_utf8(s) && s.find('\0') == std::string::npos;
    };
    bool valid = true;
    for (const std::string* field :
         {&msg.provider, &msg.external_id, &msg.sender, &msg.sender_name, &msg.recipient,
          &msg.subject, &msg.text, &msg.html, &msg.metadata_json}) {
        valid = valid && text(*field);
    }
    for (const AttachmentDescriptor& a : msg.attachments) {
        valid = valid && text(a.name) && text(a.content_type) && text(a.url) && text(a.provider_id);
    }
    if (!valid) {
        // Kept for the quarantine's log line, when they can be shown.
        if (out.refused_sender.empty() && is_valid_utf8(msg.sender) &&
            is_valid_utf8(msg.provider)) {
            out.refused_provider = msg.provider;
            out.refused_sender = msg.sender;
        }
        out.errors.push_back(
            {"", "invalid_encoding", "the message holds text that is not valid UTF-8"});
        return 1;
    }
    if (!metadata_as_json(msg.metadata_json)) {
        out.errors.push_back(
            {"", "invalid_encoding", "the message's metadata holds a NUL character"});
        return 1;
    }
    out.messages.push_back(std::move(msg));
    return 0;
}

void cb_error(void* ctx, memolib_str_t field, memolib_str_t code, memolib_str_t message) {
    auto& out = *static_cast<PluginCallResult*>(ctx);
    if (out.errors.size() < 100) out.errors.push_back({str(field), str(code), str(message)});
}

void cb_response(void* ctx, int status, memolib_str_t content_type, memolib_bytes_t body) {
    auto& out = *static_cast<PluginCallResult*>(ctx);
    if (out.hook != PluginHook::kHandshake && out.hook != PluginHook::kAnswer) {
        // Ignored, but not silently: the plugin's author meant an answer that is not sent.
        out.violations.emplace_back("set_response called outside handshake and answer");
        log().warn("plugin_set_response_ignored",
                   {{"channel",
                     out.channel != nullptr ? std::string_view(*out.channel) : std::string_view()},
                    {"reason", out.violations.back()}});
        return;
    }
    if (out.hook == PluginHook::kAnswer && !answer_status_allowed(out.outcome, status)) {
        out.violations.push_back("set_response: status " + std::to_string(status) +
                                 " changes the outcome's class");
        return;
    }
    out.response_status = status;
    out.response_content_type = str(content_type);
    out.response_body.assign(reinterpret_cast<const char*>(body.ptr),
                             body.ptr == nullptr ? 0 : body.len);
}

void cb_log(void* ctx, memolib_log_level_t level, memolib_str_t message) {
    const auto& out = *static_cast<PluginCallResult*>(ctx);
    log().log(
        static_cast<LogLevel>(std::clamp(static_cast<int>(level), 0, 3)), "plugin_log",
        {{"channel", out.channel != nullptr ? std::string_view(*out.channel) : std::string_view()},
         {"message", std::string_view(message.ptr == nullptr ? "" : message.ptr, message.len)}});
}

// The longest a claim is kept, whatever a plugin asks: what bounds the memory is the entry cap,
// but a claim that never expires would refuse a provider's honest reuse forever.
constexpr std::int64_t kMaxNonceTtlMs = std::int64_t{24} * 60 * 60 * 1000;

int cb_claim_nonce(void* ctx, memolib_str_t nonce, std::int64_t ttl_ms) {
    const auto& out = *static_cast<PluginCallResult*>(ctx);
    const NonceScope* scope = out.nonces;
    if (scope == nullptr || scope->store == nullptr || nonce.ptr == nullptr || nonce.len == 0 ||
        ttl_ms <= 0) {
        return 0;
    }
    try {
        const std::string digest = to_hex(sha256({scope->body}));
        const NonceStore::Claim claim =
            scope->store->claim(scope->channel, std::string_view(nonce.ptr, nonce.len), digest,
                                std::min(ttl_ms, kMaxNonceTtlMs));
        return claim == NonceStore::Claim::kOtherBody ? 1 : 0;
    } catch (const std::exception& e) {
        // Nothing may unwind into the plugin; an unknown claim lets the request go on.
        log().error("nonce_claim_failed", {{"error", e.what()}});
        return 0;
    }
}

// The hashes abi.h names for hmac and digest; nothing else, so that a plugin's choice is one
// every host build has.
const EVP_MD* named_digest(memolib_str_t name) {
    const std::string_view n(name.ptr == nullptr ? "" : name.ptr, name.len);
    if (n == "sha256") return EVP_sha256();
    if (n == "sha1") return EVP_sha1();
    if (n == "sha512") return EVP_sha512();
    if (n == "md5") return EVP_md5();
    return nullptr;
}

std::size_t cb_hmac(void* /*ctx*/, memolib_str_t algorithm, memolib_bytes_t key,
                    memolib_bytes_t data, std::uint8_t* out, std::size_t out_size) {
    const EVP_MD* md = named_digest(algorithm);
    if (md == nullptr || out == nullptr || out_size < static_cast<std::size_t>(EVP_MD_size(md)))
        return 0;
    static const std::uint8_t kEmpty = 0;
    unsigned int n = 0;
    const bool ok = HMAC(md, key.ptr != nullptr ? key.ptr : &kEmpty, static_cast<int>(key.len),
                         data.ptr != nullptr ? data.ptr : &kEmpty, data.len, out, &n) != nullptr;
    return ok ? n : 0;
}

std::size_t cb_digest(void* /*ctx*/, memolib_str_t algorithm, memolib_bytes_t data,
                      std::uint8_t* out, std::size_t out_size) {
    const EVP_MD* md = named_digest(algorithm);
    if (md == nullptr || out == nullptr || out_size < static_cast<std::size_t>(EVP_MD_size(md)))
        return 0;
    static const std::uint8_t kEmpty = 0;
    unsigned int n = 0;
    const bool ok =
        EVP_Digest(data.ptr != nullptr ? data.ptr : &kEmpty, data.len, out, &n, md, nullptr) == 1;
    return ok ? n : 0;
}

// True when the descriptor's writer set a struct_size that reaches `end` (a field's offset
// plus its size): an older plugin's descriptor stops before the fields appended since.
bool covers(const memolib_plugin_descriptor_t* d, std::size_t end) { return d->struct_size >= end; }

}  // namespace

bool declares_media_type(const LoadedPlugin& plugin, std::string_view content_type) {
    const std::string_view media = trim_ows(content_type.substr(0, content_type.find(';')));
    const boost::beast::string_view given(media.data(), media.size());
    return std::any_of(plugin.content_types.begin(), plugin.content_types.end(),
                       [given](const std::string& t) { return boost::beast::iequals(t, given); });
}

std::string declared_media_types(const LoadedPlugin& plugin) {
    std::string out;
    for (const std::string& t : plugin.content_types) out += (out.empty() ? "" : ", ") + t;
    return out;
}

bool answer_status_allowed(memolib_outcome_kind_t outcome, int status) {
    const bool success = status >= 200 && status <= 299;
    switch (outcome) {
        case MEMOLIB_OUTCOME_DUPLICATE:
            return success || status == 409;
        case MEMOLIB_OUTCOME_REJECTED:
            return status >= 400 && status <= 499 && status != 429;
        default:
            return success;
    }
}

memolib_host_t make_host_callbacks(PluginCallResult& out) {
    memolib_host_t host{};
    host.struct_size = sizeof(memolib_host_t);
    host.ctx = &out;
    host.emit_message = &cb_emit;
    host.add_error = &cb_error;
    host.set_response = &cb_response;
    host.log = &cb_log;
    host.claim_nonce = &cb_claim_nonce;
    host.hmac = &cb_hmac;
    host.digest = &cb_digest;
    return host;
}

std::shared_ptr<ChannelInstance> ChannelInstance::create(std::shared_ptr<const LoadedPlugin> plugin,
                                                         const std::string& channel,
                                                         const ConfigValue& block,
                                                         std::vector<FieldError>& errors) {
    // Only the plugin's own keys cross; core keys (max_body, verify…) are the host's business.
    std::vector<memolib_pair_t> entries;
    for (const auto& [key, value] : block.entries) {
        if (plugin->schema.property(key) == nullptr || value.kind != ConfigValue::Kind::kScalar)
            continue;
        entries.push_back({{key.data(), key.size()}, {value.scalar.data(), value.scalar.size()}});
    }
    memolib_config_t cfg{};
    cfg.struct_size = sizeof(memolib_config_t);
    cfg.entries = entries.data();
    cfg.entry_count = entries.size();
    cfg.channel = {channel.data(), channel.size()};
    PluginCallResult result;
    result.channel = &channel;
    result.hook = PluginHook::kCreate;
    memolib_host_t host = make_host_callbacks(result);
    memolib_instance_t* instance = plugin->descriptor->on_create(&cfg, &host);
    if (instance == nullptr) {
        errors = result.errors;
        if (errors.empty())
            errors.push_back({"", "invalid_config", "the plugin refused its configuration"});
        return nullptr;
    }
    return std::shared_ptr<ChannelInstance>(
        new ChannelInstance(plugin, instance, channel, !channel_secrets(*plugin, block).empty()));
}

ChannelInstance::~ChannelInstance() { plugin_->descriptor->on_destroy(instance_); }

memolib_status_t ChannelInstance::verify(const memolib_request_t& request,
                                         PluginCallResult& out) const {
    out.channel = &channel_;
    out.hook = PluginHook::kVerify;
    memolib_host_t host = make_host_callbacks(out);
    return plugin_->descriptor->on_verify(instance_, &request, &host);
}

memolib_status_t ChannelInstance::handshake(const memolib_request_t& request,
                                            PluginCallResult& out) const {
    if (plugin_->descriptor->on_handshake == nullptr) return MEMOLIB_NOT_HANDLED;
    out.channel = &channel_;
    out.hook = PluginHook::kHandshake;
    memolib_host_t host = make_host_callbacks(out);
    return plugin_->descriptor->on_handshake(instance_, &request, &host);
}

memolib_status_t ChannelInstance::parse(const memolib_request_t& request,
                                        PluginCallResult& out) const {
    out.channel = &channel_;
    out.hook = PluginHook::kParse;
    memolib_host_t host = make_host_callbacks(out);
    return plugin_->descriptor->on_parse(instance_, &request, &host);
}

memolib_status_t ChannelInstance::answer(const memolib_request_t& request,
                                         const memolib_outcome_t& outcome,
                                         PluginCallResult& out) const {
    if (!plugin_->shapes_answers) return MEMOLIB_NOT_HANDLED;
    out.channel = &channel_;
    out.hook = PluginHook::kAnswer;
    out.outcome = outcome.kind;
    memolib_host_t host = make_host_callbacks(out);
    return plugin_->descriptor->on_answer(instance_, &request, &outcome, &host);
}

void PluginRegistry::load_directory(const std::string& directory, const PluginScan* previous) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(directory, ec)) {
        log().error("plugins_directory_missing", {{"directory", directory}});
        return;
    }
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(directory, ec)) {
        if (entry.path().extension() == ".so") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    std::map<std::string, std::vector<std::shared_ptr<LoadedPlugin>>> by_name;
    for (const std::string& f : files) {
        std::string reason;
        if (auto plugin = open(f, reason)) {
            by_name[plugin->name].push_back(std::move(plugin));
        } else {
            refuse(f, reason);
        }
    }
    for (auto& [name, candidates] : by_name) {
        if (candidates.size() == 1) {
            add(std::move(candidates.front()));
            continue;
        }
        std::string listed;
        for (const auto& c : candidates) listed += (listed.empty() ? "" : ", ") + c->file;
        // Only a reload can tell an upgrade from a stray copy: the file it has not seen before
        // is the one the operator just dropped in.
        std::shared_ptr<LoadedPlugin> chosen;
        if (previous != nullptr) {
            std::vector<std::shared_ptr<LoadedPlugin>> fresh;
            for (const auto& c : candidates) {
                if (!previous->knows(c->file)) fresh.push_back(c);
            }
            if (fresh.size() == 1) {
                chosen = fresh.front();
            } else if (fresh.empty()) {
                const auto serving = previous->serving.find(name);
                for (const auto& c : candidates) {
                    if (serving != previous->serving.end() && c->file == serving->second)
                        chosen = c;
                }
            }
        }
        if (!chosen) {
            std::string reason = "plugin name '" + name + "' is declared by ";
            reason += std::to_string(candidates.size()) + " files (" + listed + "); ";
            reason += previous == nullptr
                          ? "no file serves a name two files declare at start: remove all but one"
                          : "more than one of them was dropped in since the last load: remove "
                            "all but one";
            for (const auto& c : candidates) refuse(c->file, reason);
            continue;
        }
        for (const auto& c : candidates) {
            if (c == chosen) continue;
            const std::string reason = "plugin name '" + name + "' is served by " + chosen->file +
                                       ", dropped in since the last load; remove this file: at " +
                                       "start, two files declaring one name are both refused";
            set_aside_.emplace_back(c->file, reason);
            log().warn("plugin_set_aside",
                       {{"file", c->file}, {"plugin", name}, {"reason", reason}});
        }
        add(std::move(chosen));
    }
}

std::optional<std::string> PluginRegistry::load_file(const std::string& path) {
    std::string reason;
    auto plugin = open(path, reason);
    if (plugin) {
        if (auto it = plugins_.find(plugin->name); it != plugins_.end()) {
            reason = "plugin name '" + plugin->name + "' is already served by " + it->second->file;
        } else {
            add(std::move(plugin));
            return std::nullopt;
        }
    }
    refuse(path, reason);
    return reason;
}

PluginScan PluginRegistry::scan() const {
    PluginScan out;
    for (const auto& [name, plugin] : plugins_) out.serving.emplace(name, plugin->file);
    for (const auto& [file, reason] : set_aside_) out.set_aside.insert(file);
    for (const auto& [file, reason] : refused_) out.refused.insert(file);
    return out;
}

void PluginRegistry::refuse(const std::string& path, const std::string& reason) {
    refused_.emplace_back(path, reason);
    log().error("plugin_refused", {{"file", path}, {"reason", reason}});
}

void PluginRegistry::add(std::shared_ptr<LoadedPlugin> plugin) {
    log().info("plugin_loaded", {{"file", plugin->file},
                                 {"plugin", plugin->name},
                                 {"version", plugin->version},
                                 {"abi", std::to_string(plugin->abi_major) + "." +
                                             std::to_string(plugin->abi_minor)}});
    const std::string name = plugin->name;
    plugins_.emplace(name, std::move(plugin));
}

std::shared_ptr<LoadedPlugin> PluginRegistry::open(const std::string& path,
                                                   std::string& reason) const {
    // Before anything maps the file: dlopen of a file cut short dies of SIGBUS.
    if (auto bad = check_elf_file(path)) {
        reason = *bad;
        return nullptr;
    }
    return open_checked(path, reason);
}

std::shared_ptr<LoadedPlugin> PluginRegistry::open_checked(const std::string& path,
                                                           std::string& reason) const {
    try {
        boost::dll::fs::error_code ec;
        auto lib = std::make_shared<boost::dll::shared_library>();
        // rtld_now: an unresolved symbol refuses the file now, not at the first request.
        lib->load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
        if (ec) {
            const char* why = dlerror();
            reason = std::string("not a loadable shared library: ") +
                     (why != nullptr ? why : ec.message());
            return nullptr;
        }
        return describe(path, std::move(lib), reason);
    } catch (const std::exception& e) {
        reason = std::string("cannot load: ") + e.what();
        return nullptr;
    }
}

std::shared_ptr<LoadedPlugin> PluginRegistry::describe(
    const std::string& path, std::shared_ptr<boost::dll::shared_library> lib,
    std::string& reason) const {
    auto refused = [&reason](std::string why) {
        reason = std::move(why);
        return nullptr;
    };
    if (!lib->has(MEMOLIB_PLUGIN_ENTRY_SYMBOL)) {
        return refused(std::string("no entry point '") + MEMOLIB_PLUGIN_ENTRY_SYMBOL +
                       "': not a MemoLib plugin");
    }
    auto entry = lib->get<const memolib_plugin_descriptor_t*()>(MEMOLIB_PLUGIN_ENTRY_SYMBOL);
    const memolib_plugin_descriptor_t* d = entry();
    if (d == nullptr) return refused("the entry point returned no descriptor");
    if (d->struct_size < kMinDescriptorSize) {
        return refused("descriptor struct_size " + std::to_string(d->struct_size) +
                       " is smaller than " + std::to_string(kMinDescriptorSize) +
                       ", the size of an SDK 1.0 descriptor");
    }
    if (d->abi_major != MEMOLIB_SDK_ABI_MAJOR) {
        return refused("ABI major " + std::to_string(d->abi_major) + " instead of " +
                       std::to_string(MEMOLIB_SDK_ABI_MAJOR));
    }
    if (d->abi_minor > MEMOLIB_SDK_ABI_MINOR) {
        return refused("ABI minor " + std::to_string(d->abi_minor) + " is newer than this host's " +
                       std::to_string(MEMOLIB_SDK_ABI_MINOR));
    }
    if (!valid_plugin_name(d->name))
        return refused("the plugin name must be 1-64 of a-z, 0-9, '_', '-'");
    if (d->on_create == nullptr || d->on_destroy == nullptr || d->on_verify == nullptr ||
        d->on_parse == nullptr) {
        return refused("a required hook (on_create, on_destroy, on_verify, on_parse) is missing");
    }
    auto plugin = std::make_shared<LoadedPlugin>();
    plugin->file = path;
    plugin->name = d->name;
    plugin->version = d->version != nullptr ? d->version : "";
    plugin->description = d->description != nullptr ? d->description : "";
    plugin->status = d->status != nullptr ? d->status : "";
    plugin->abi_major = d->abi_major;
    plugin->abi_minor = d->abi_minor;
    plugin->providers = string_list(d->providers);
    plugin->content_types = string_list(d->content_types);
    plugin->default_max_body = d->default_max_body_bytes;
    plugin->default_rate_requests = d->default_rate_requests;
    plugin->default_rate_window_ms = d->default_rate_window_ms;
    plugin->schema_yaml = d->config_schema_yaml != nullptr ? d->config_schema_yaml : "";
    try {
        plugin->schema = parse_flat_schema(plugin->schema_yaml);
    } catch (const std::exception& e) {
        return refused(std::string("invalid config schema: ") + e.what());
    }
    for (const auto& [key, prop] : plugin->schema.properties) {
        if (channel_core_schema().property(key) != nullptr)
            return refused("config key '" + key + "' is reserved by the host");
    }
    if (covers(d, offsetof(memolib_plugin_descriptor_t, on_answer) + sizeof(d->on_answer)))
        plugin->shapes_answers = d->on_answer != nullptr;
    if (covers(d, offsetof(memolib_plugin_descriptor_t, person_facing_providers) +
                      sizeof(d->person_facing_providers))) {
        plugin->person_facing_providers = string_list(d->person_facing_providers);
    }
    plugin->descriptor = d;
    plugin->library = std::move(lib);
    return plugin;
}

std::shared_ptr<const LoadedPlugin> PluginRegistry::find(const std::string& name) const {
    auto it = plugins_.find(name);
    return it == plugins_.end() ? nullptr : it->second;
}

namespace {

void collect_secrets(const SchemaNode& schema, const ConfigValue& value,
                     std::vector<std::string>& out) {
    for (const auto& [key, node] : schema.properties) {
        const ConfigValue* v = value.find(key);
        if (v == nullptr) continue;
        if (node.secret && v->kind == ConfigValue::Kind::kScalar && !v->scalar.empty()) {
            out.push_back(v->scalar);
        } else if (node.type == SchemaNode::Type::kObject) {
            collect_secrets(node, *v, out);
        }
    }
}

}  // namespace

std::vector<std::string> channel_secrets(const LoadedPlugin& plugin, const ConfigValue& block) {
    std::vector<std::string> out;
    collect_secrets(plugin.schema, block, out);
    return out;
}

namespace {

// `block` with each secret value changed in its last character only, so that it keeps the
// form a plugin may check (hex, base64, user:password) and is still another secret.
void change_secrets(const SchemaNode& schema, ConfigValue& value) {
    for (auto& [key, entry] : value.entries) {
        const SchemaNode* node = schema.property(key);
        if (node == nullptr) continue;
        if (node->secret && entry.kind == ConfigValue::Kind::kScalar && !entry.scalar.empty()) {
            char& last = entry.scalar.back();
            last = last == '0' ? '1' : '0';
        } else if (node->type == SchemaNode::Type::kObject) {
            change_secrets(*node, entry);
        }
    }
}

}  // namespace

bool ChannelInstance::verified_by_secret(const memolib_request_t& request,
                                         const ConfigValue& block) const {
    std::shared_ptr<ChannelInstance> decoy;
    {
        std::lock_guard<std::mutex> lock(decoy_mutex_);
        if (!decoy_made_) {
            decoy_made_ = true;
            ConfigValue changed = block;
            change_secrets(plugin_->schema, changed);
            std::vector<FieldError> errors;
            decoy_ = create(plugin_, channel_, changed, errors);
        }
        decoy = decoy_;
    }
    // A plugin that refuses a configuration with other secrets cannot tell: not authentic.
    if (!decoy) return false;
    PluginCallResult result;
    return decoy->verify(request, result) != MEMOLIB_OK;
}

}  // namespace memolib::core
