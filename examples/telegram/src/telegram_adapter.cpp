// A MemoLib channel plugin for Telegram Bot API webhooks, built out of tree against the
// installed SDK alone (see ../README.md). One update carries at most one message: `message`,
// `edited_message`, `channel_post` or `edited_channel_post`; any other update (a callback
// query, a poll answer…) is accepted with no message, so that Telegram stops re-sending it.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "memolib/sdk/adapter.hpp"
#include "memolib/sdk/signing.hpp"

namespace {

namespace sdk = memolib::sdk;

constexpr std::string_view kSecretHeader = "X-Telegram-Bot-Api-Secret-Token";
// Telegram's own limit on secret_token (setWebhook): 1-256 of A-Z, a-z, 0-9, '_' and '-'.
constexpr std::size_t kMaxSecretBytes = 256;
// 9999-12-31T23:59:59Z: beyond it a date is garbage, and * 1000 could overflow.
constexpr std::int64_t kMaxUnixSeconds = 253402300799;

constexpr const char* kConfigSchema = R"(secret_token:
  type: string
  required: false
  secret: true
  description: The secret_token given to setWebhook; Telegram sends it in the
    X-Telegram-Bot-Api-Secret-Token header. Unset, every request is accepted.
)";

// The update fields that carry a message, and whether they are edits.
struct MessageKind {
    const char* field;
    bool edit;
};
constexpr MessageKind kMessageKinds[] = {{"message", false},
                                         {"edited_message", true},
                                         {"channel_post", false},
                                         {"edited_channel_post", true}};

// Message fields whose file becomes an attachment descriptor (never downloaded here).
constexpr const char* kMediaFields[] = {"document",   "audio",     "voice",  "video",
                                        "video_note", "animation", "sticker"};

bool valid_secret(std::string_view s) {
    if (s.empty() || s.size() > kMaxSecretBytes) return false;
    for (char c : s) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
    auto it = object.FindMember(name);
    return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string string_member(const rapidjson::Value& object, const char* name) {
    const rapidjson::Value* v = member(object, name);
    return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength())
                                         : std::string();
}

// Reads the required integer `object.name`, or reports `path.name` and returns false.
bool required_int(const rapidjson::Value& object, const char* name, const std::string& path,
                  const sdk::Host& host, std::int64_t& out) {
    const rapidjson::Value* v = member(object, name);
    const std::string field = path.empty() ? name : path + "." + name;
    if (v == nullptr) {
        host.error(field, "required", field + " is missing");
        return false;
    }
    if (!v->IsInt64()) {
        host.error(field, "invalid_type", field + " must be an integer");
        return false;
    }
    out = v->GetInt64();
    return true;
}

std::string display_name(const rapidjson::Value& user) {
    std::string name = string_member(user, "first_name");
    const std::string last = string_member(user, "last_name");
    if (!last.empty()) name += (name.empty() ? "" : " ") + last;
    if (name.empty()) name = string_member(user, "title");  // a channel as sender
    return name;
}

// One attachment descriptor per media field; a photo is its largest size, the last one.
void add_attachments(const rapidjson::Value& message, sdk::Message& out) {
    auto add = [&out](const rapidjson::Value& file, const char* kind) {
        if (!file.IsObject()) return;
        sdk::Attachment a;
        a.provider_id = string_member(file, "file_id");
        if (a.provider_id.empty()) return;
        a.name = string_member(file, "file_name");
        if (a.name.empty()) a.name = kind;
        a.content_type = string_member(file, "mime_type");
        const rapidjson::Value* size = member(file, "file_size");
        a.size = size != nullptr && size->IsInt64() ? size->GetInt64() : -1;
        out.attachments.push_back(std::move(a));
    };
    const rapidjson::Value* photo = member(message, "photo");
    if (photo != nullptr && photo->IsArray() && !photo->Empty()) {
        add((*photo)[photo->Size() - 1], "photo");
    }
    for (const char* field : kMediaFields) {
        if (const rapidjson::Value* file = member(message, field)) add(*file, field);
    }
}

class TelegramAdapter final : public sdk::Adapter {
public:
    TelegramAdapter(const sdk::Config& config, const sdk::Host& host)
        : secret_token_(config.get_or("secret_token", "")) {
        if (secret_token_.empty()) {
            host.log(MEMOLIB_LOG_WARN, "channel '" + config.channel() +
                                           "': secret_token is not set, so anyone who knows the "
                                           "URL can post updates");
        } else if (!valid_secret(secret_token_)) {
            throw sdk::ConfigError("secret_token",
                                   "Telegram accepts 1-256 of A-Z, a-z, 0-9, '_' and '-'");
        }
    }

    static const sdk::PluginInfo& info() {
        static constexpr const char* kProviders[] = {"telegram", nullptr};
        static constexpr const char* kContentTypes[] = {"application/json", nullptr};
        static const sdk::PluginInfo kInfo = [] {
            sdk::PluginInfo i;
            i.name = "telegram";
            i.version = "1.0.0";
            i.description =
                "Telegram Bot API webhooks: messages, edits and channel posts sent to a bot";
            i.status = "alpha";
            i.providers = kProviders;
            i.content_types = kContentTypes;
            i.default_max_body_bytes = 256 * 1024;
            i.default_rate_requests = 1000;
            i.default_rate_window_ms = 3600 * 1000;
            i.config_schema_yaml = kConfigSchema;
            return i;
        }();
        return kInfo;
    }

    sdk::Status verify(const sdk::Request& request, const sdk::Host& host) const override {
        if (secret_token_.empty()) return sdk::Status::kOk;
        const auto sent = request.header(kSecretHeader);
        if (!sent) {
            host.error(kSecretHeader, "missing_secret_token",
                       "the request has no X-Telegram-Bot-Api-Secret-Token header");
            return sdk::Status::kUnauthorized;
        }
        // Compared as SHA-256 digests (the host's), so that the time reveals neither where the
        // secrets differ nor how long the expected one is.
        if (!sdk::constant_time_equal(host.digest("sha256", *sent),
                                      host.digest("sha256", secret_token_))) {
            host.error(kSecretHeader, "bad_secret_token",
                       "X-Telegram-Bot-Api-Secret-Token is not the channel's secret_token");
            return sdk::Status::kUnauthorized;
        }
        return sdk::Status::kOk;
    }

    sdk::Status parse(const sdk::Request& request, const sdk::Host& host) const override {
        if (request.media_type() != "application/json") {
            host.error("content-type", "unsupported_media_type",
                       "Telegram posts application/json, got '" +
                           std::string(request.content_type()) + "'");
            return sdk::Status::kUnsupportedMediaType;
        }
        rapidjson::Document update;
        const std::string_view body = request.body();
        update.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
        if (update.HasParseError() || !update.IsObject()) {
            host.error("", "invalid_json", "the body is not a JSON object");
            return sdk::Status::kInvalid;
        }
        std::int64_t update_id = 0;
        if (!required_int(update, "update_id", "", host, update_id)) return sdk::Status::kInvalid;
        for (const MessageKind& kind : kMessageKinds) {
            const rapidjson::Value* message = member(update, kind.field);
            if (message == nullptr) continue;
            return parse_message(*message, kind, update_id, host);
        }
        return sdk::Status::kOk;
    }

private:
    static sdk::Status parse_message(const rapidjson::Value& message, const MessageKind& kind,
                                     std::int64_t update_id, const sdk::Host& host) {
        const std::string path = kind.field;
        if (!message.IsObject()) {
            host.error(path, "invalid_type", path + " must be an object");
            return sdk::Status::kInvalid;
        }
        std::int64_t message_id = 0;
        std::int64_t date = 0;
        std::int64_t chat_id = 0;
        bool ok = required_int(message, "message_id", path, host, message_id);
        ok = required_int(message, "date", path, host, date) && ok;
        const rapidjson::Value* chat = member(message, "chat");
        if (chat == nullptr || !chat->IsObject()) {
            host.error(path + ".chat", chat == nullptr ? "required" : "invalid_type",
                       path + ".chat must be an object");
            ok = false;
        } else {
            ok = required_int(*chat, "id", path + ".chat", host, chat_id) && ok;
        }
        std::int64_t edit_date = 0;
        if (kind.edit) ok = required_int(message, "edit_date", path, host, edit_date) && ok;
        if (!ok) return sdk::Status::kInvalid;
        for (const auto& [name, seconds] : {std::pair{"date", date}, {"edit_date", edit_date}}) {
            if (seconds < 0 || seconds > kMaxUnixSeconds) {
                host.error(path + "." + name, "out_of_range",
                           path + "." + name + " is not a Unix time in seconds");
                return sdk::Status::kInvalid;
            }
        }

        sdk::Message out;
        out.provider = "telegram";
        // message_id is unique within its chat only; each edit is its own version.
        out.external_id = std::to_string(chat_id) + ":" + std::to_string(message_id);
        if (kind.edit) out.external_id += ":edit:" + std::to_string(edit_date);
        // A channel post has no `from`; the channel (sender_chat) speaks.
        const rapidjson::Value* from = member(message, "from");
        if (from == nullptr || !from->IsObject()) from = member(message, "sender_chat");
        std::string username;
        if (from != nullptr && from->IsObject()) {
            const rapidjson::Value* id = member(*from, "id");
            if (id != nullptr && id->IsInt64()) {
                out.sender = "telegram:" + std::to_string(id->GetInt64());
            }
            out.sender_name = display_name(*from);
            username = string_member(*from, "username");
        }
        if (out.sender.empty()) out.sender = "telegram:" + std::to_string(chat_id);
        out.text = string_member(message, "text");
        if (out.text.empty()) out.text = string_member(message, "caption");
        out.provider_timestamp_ms = (kind.edit ? edit_date : date) * 1000;
        add_attachments(message, out);

        rapidjson::StringBuffer buffer;
        rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
        w.StartObject();
        w.Key("update_type");
        w.String(kind.field);
        w.Key("update_id");
        w.Int64(update_id);
        w.Key("chat_id");
        w.Int64(chat_id);
        const std::string chat_type = string_member(*chat, "type");
        if (!chat_type.empty()) {
            w.Key("chat_type");
            w.String(chat_type.c_str(), static_cast<rapidjson::SizeType>(chat_type.size()));
        }
        if (!username.empty()) {
            w.Key("username");
            w.String(username.c_str(), static_cast<rapidjson::SizeType>(username.size()));
        }
        w.EndObject();
        out.metadata_json.assign(buffer.GetString(), buffer.GetSize());

        if (!host.emit(out)) return sdk::Status::kInvalid;
        return sdk::Status::kOk;
    }

    std::string secret_token_;
};

}  // namespace

MEMOLIB_PLUGIN(TelegramAdapter)
