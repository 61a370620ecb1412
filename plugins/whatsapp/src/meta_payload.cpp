#include "meta_payload.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "metadata_writer.hpp"
#include "phone_number.hpp"

namespace memolib::plugins::whatsapp {
namespace {

using rapidjson::Value;

constexpr std::string_view kObject = "whatsapp_business_account";

// Unix seconds beyond this (year 33658) are not a timestamp but garbage.
constexpr std::uint64_t kMaxTimestampSeconds = 999'999'999'999ULL;

std::string_view view(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

std::string index_path(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

// Typed access to members, recording one error per problem under the member's path.
class Reader {
public:
    explicit Reader(std::vector<FieldError>& errors) : errors_(errors) {}

    std::size_t error_count() const noexcept { return errors_.size(); }

    void error(std::string field, std::string code, std::string message) {
        add_error(errors_, std::move(field), std::move(code), std::move(message));
    }

    // The member `key` of the object `parent`; nullptr when absent or null.
    static const Value* member(const Value& parent, const char* key) {
        const auto it = parent.FindMember(key);
        if (it == parent.MemberEnd() || it->value.IsNull()) return nullptr;
        return &it->value;
    }

    // The string member `key`: nullopt when absent, or (with an error) when it is required and
    // absent, or not a string, or holds a NUL that no database text column can store.
    std::optional<std::string> text(const Value& parent, const char* key, const std::string& path,
                                    bool required) {
        const Value* v = member(parent, key);
        // Spelled out only for an error: most fields are fine.
        auto field = [&] { return path + "." + key; };
        if (v == nullptr) {
            if (required) error(field(), "required", std::string("'") + key + "' is missing");
            return std::nullopt;
        }
        if (!v->IsString()) {
            error(field(), "invalid_type", "expected a string");
            return std::nullopt;
        }
        const std::string_view s = view(*v);
        if (s.find('\0') != std::string_view::npos) {
            error(field(), "invalid_encoding", "contains a NUL character");
            return std::nullopt;
        }
        return std::string(s);
    }

    // The object member `key`; nullptr when absent, with an error when required or not an object.
    const Value* object(const Value& parent, const char* key, const std::string& path,
                        bool required) {
        return typed(parent, key, path, required, /*want_array=*/false);
    }

    // The array member `key`; nullptr when absent, with an error when required or not an array.
    const Value* array(const Value& parent, const char* key, const std::string& path,
                       bool required) {
        return typed(parent, key, path, required, /*want_array=*/true);
    }

    // The number member `key`; nullopt when absent, with an error when required, not a
    // number, or outside [min, max].
    std::optional<double> number(const Value& parent, const char* key, const std::string& path,
                                 double min, double max) {
        const Value* v = member(parent, key);
        // Spelled out only for an error: most fields are fine.
        auto field = [&] { return path + "." + key; };
        if (v == nullptr) {
            error(field(), "required", std::string("'") + key + "' is missing");
            return std::nullopt;
        }
        if (!v->IsNumber()) {
            error(field(), "invalid_type", "expected a number");
            return std::nullopt;
        }
        const double d = v->GetDouble();
        if (!std::isfinite(d) || d < min || d > max) {
            error(field(), "out_of_range",
                  "expected a number from " + format_number(min) + " to " + format_number(max));
            return std::nullopt;
        }
        return d;
    }

    // The boolean member `key`, when present and a boolean.
    static std::optional<bool> flag(const Value& parent, const char* key) {
        const Value* v = member(parent, key);
        if (v == nullptr || !v->IsBool()) return std::nullopt;
        return v->GetBool();
    }

private:
    const Value* typed(const Value& parent, const char* key, const std::string& path, bool required,
                       bool want_array) {
        const Value* v = member(parent, key);
        auto field = [&] { return path.empty() ? std::string(key) : path + "." + key; };
        if (v == nullptr) {
            if (required) error(field(), "required", std::string("'") + key + "' is missing");
            return nullptr;
        }
        if (want_array ? !v->IsArray() : !v->IsObject()) {
            error(field(), "invalid_type", want_array ? "expected an array" : "expected an object");
            return nullptr;
        }
        return v;
    }

    std::vector<FieldError>& errors_;
};

// One entry of value.contacts[]: who sent the messages of the same value.
struct Contact {
    std::string wa_id;
    std::string user_id;
    std::string name;
};

// What the messages of one entry[].changes[].value share.
struct ValueContext {
    std::string waba_id;
    std::string phone_number_id;
    std::string display_phone_number;
    std::string recipient;
    std::vector<Contact> contacts;
};

const std::string* profile_name(const ValueContext& ctx, const std::string& from,
                                const std::string& from_user_id) {
    for (const Contact& c : ctx.contacts) {
        if (!from.empty() && c.wa_id == from && !c.name.empty()) return &c.name;
    }
    for (const Contact& c : ctx.contacts) {
        if (!from_user_id.empty() && c.user_id == from_user_id && !c.name.empty()) return &c.name;
    }
    return nullptr;
}

// Joins the non-empty parts with `separator`.
std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const std::string& p : parts) {
        if (p.empty()) continue;
        if (!out.empty()) out += separator;
        out += p;
    }
    return out;
}

bool is_media_type(std::string_view type) {
    return type == "image" || type == "audio" || type == "video" || type == "document" ||
           type == "sticker";
}

// Reads one element of value.messages[] and its type-specific object.
class MessageReader {
public:
    MessageReader(Reader& reader, const ValueContext& ctx) : r_(reader), ctx_(ctx) {}

    // Returns the message, or nullopt after recording why it cannot be read.
    std::optional<sdk::Message> read(const Value& msg, const std::string& path) {
        const std::size_t errors_before = r_.error_count();
        if (!msg.IsObject()) {
            r_.error(path, "invalid_type", "expected an object");
            return std::nullopt;
        }
        const auto id = r_.text(msg, "id", path, /*required=*/true);
        if (id && id->empty()) r_.error(path + ".id", "required", "'id' is empty");
        const auto from = r_.text(msg, "from", path, /*required=*/false);
        const auto from_user_id = r_.text(msg, "from_user_id", path, /*required=*/false);
        std::optional<std::string> sender;
        if (from) {
            sender = whatsapp_e164(*from);
            if (!sender) {
                r_.error(path + ".from", "invalid_format",
                         "expected the sender's number as 6 to 15 digits, without '+'");
            }
        } else if (!from_user_id) {
            r_.error(path + ".from", "required", "'from' is missing");
        }
        const std::int64_t timestamp_ms = timestamp(msg, path);
        const auto type = r_.text(msg, "type", path, /*required=*/true);
        if (type && type->empty()) r_.error(path + ".type", "required", "'type' is empty");

        MetadataWriter meta;
        sdk::Message m;
        if (type && !type->empty()) {
            meta.string("type", *type);
            meta.string("waba_id", ctx_.waba_id);
            meta.string("phone_number_id", ctx_.phone_number_id);
            meta.string("display_phone_number", ctx_.display_phone_number);
            if (from_user_id) meta.string("from_user_id", *from_user_id);
            common_fields(msg, path, meta);
            content(msg, path, *type, m, meta);
        }
        if (r_.error_count() != errors_before) return std::nullopt;

        m.provider = "meta";
        m.external_id = *id;
        if (sender) m.sender = *sender;
        const std::string* name =
            profile_name(ctx_, from.value_or(""), from_user_id.value_or(std::string()));
        if (name != nullptr) m.sender_name = *name;
        m.recipient = ctx_.recipient;
        m.provider_timestamp_ms = timestamp_ms;
        m.metadata_json = meta.finish();
        return m;
    }

private:
    // Unix seconds, as a string of digits (Meta's form) or a number; 0 when absent.
    std::int64_t timestamp(const Value& msg, const std::string& path) {
        const Value* v = Reader::member(msg, "timestamp");
        if (v == nullptr) return 0;
        std::uint64_t seconds = 0;
        bool ok = false;
        if (v->IsString()) {
            const std::string_view s = view(*v);
            ok = !s.empty() && s.size() <= 12;
            for (const char c : s) {
                if (c < '0' || c > '9') {
                    ok = false;
                    break;
                }
                seconds = seconds * 10 + static_cast<std::uint64_t>(c - '0');
            }
        } else if (v->IsUint64()) {
            seconds = v->GetUint64();
            ok = true;
        }
        if (!ok || seconds > kMaxTimestampSeconds) {
            r_.error(path + ".timestamp", "invalid_format", "expected Unix seconds");
            return 0;
        }
        return static_cast<std::int64_t>(seconds) * 1000;
    }

    // The members every message type may carry: the quoted message, forwarding, the ad that
    // started the conversation, and the errors of an unsupported message.
    void common_fields(const Value& msg, const std::string& path, MetadataWriter& meta) {
        if (const Value* context = r_.object(msg, "context", path, false)) {
            const std::string cpath = path + ".context";
            meta.string("context_message_id", r_.text(*context, "id", cpath, false).value_or(""));
            meta.string("context_from", r_.text(*context, "from", cpath, false).value_or(""));
            if (auto forwarded = Reader::flag(*context, "forwarded")) {
                meta.boolean("forwarded", *forwarded);
            }
            if (auto frequently = Reader::flag(*context, "frequently_forwarded")) {
                meta.boolean("frequently_forwarded", *frequently);
            }
        }
        if (const Value* referral = r_.object(msg, "referral", path, false)) {
            const std::string rpath = path + ".referral";
            for (const char* key :
                 {"source_url", "source_id", "source_type", "headline", "body", "ctwa_clid"}) {
                const auto value = r_.text(*referral, key, rpath, false);
                meta.string(std::string("referral_") + key, value.value_or(""));
            }
        }
        if (const Value* errors = r_.array(msg, "errors", path, false)) {
            if (!errors->Empty() && (*errors)[0].IsObject()) {
                const Value& first = (*errors)[0];
                const Value* code = Reader::member(first, "code");
                if (code != nullptr && code->IsInt64())
                    meta.integer("error_code", code->GetInt64());
                const auto title = r_.text(first, "title", path + ".errors[0]", false);
                meta.string("error_title", title.value_or(""));
            }
        }
    }

    // Fills the text, attachments and type-specific metadata from msg[type].
    void content(const Value& msg, const std::string& path, const std::string& type,
                 sdk::Message& m, MetadataWriter& meta) {
        if (type == "text") {
            if (const Value* text = r_.object(msg, "text", path, true)) {
                m.text = r_.text(*text, "body", path + ".text", true).value_or("");
            }
        } else if (is_media_type(type)) {
            media(msg, path, type, m, meta);
        } else if (type == "location") {
            location(msg, path, m, meta);
        } else if (type == "contacts") {
            contacts(msg, path, m, meta);
        } else if (type == "interactive") {
            interactive(msg, path, m, meta);
        } else if (type == "button") {
            if (const Value* button = r_.object(msg, "button", path, true)) {
                const std::string bpath = path + ".button";
                m.text = r_.text(*button, "text", bpath, false).value_or("");
                meta.string("button_payload",
                            r_.text(*button, "payload", bpath, false).value_or(""));
            }
        } else if (type == "reaction") {
            if (const Value* reaction = r_.object(msg, "reaction", path, true)) {
                const std::string rpath = path + ".reaction";
                const auto reacted = r_.text(*reaction, "message_id", rpath, true);
                // No emoji means the user removed their reaction.
                const auto emoji = r_.text(*reaction, "emoji", rpath, false);
                m.text = emoji.value_or("");
                meta.string("reacted_message_id", reacted.value_or(""));
                meta.string("emoji", emoji.value_or(""));
                meta.boolean("reaction_removed", !emoji || emoji->empty());
            }
        } else {
            unknown(msg, path, type, m, meta);
        }
    }

    // image, audio, video, document, sticker: one attachment descriptor, never the bytes.
    void media(const Value& msg, const std::string& path, const std::string& type, sdk::Message& m,
               MetadataWriter& meta) {
        const Value* media = r_.object(msg, type.c_str(), path, true);
        if (media == nullptr) return;
        const std::string mpath = path + "." + type;
        sdk::Attachment a;
        a.provider_id = r_.text(*media, "id", mpath, true).value_or("");
        a.content_type = r_.text(*media, "mime_type", mpath, false).value_or("");
        a.name = r_.text(*media, "filename", mpath, false).value_or("");
        a.url = r_.text(*media, "url", mpath, false).value_or("");
        m.text = r_.text(*media, "caption", mpath, false).value_or("");
        meta.string("sha256", r_.text(*media, "sha256", mpath, false).value_or(""));
        if (auto voice = Reader::flag(*media, "voice")) meta.boolean("voice", *voice);
        if (auto animated = Reader::flag(*media, "animated")) meta.boolean("animated", *animated);
        m.attachments.push_back(std::move(a));
    }

    // The text is what a person reads: the place's name, its address, then "lat,long".
    void location(const Value& msg, const std::string& path, sdk::Message& m,
                  MetadataWriter& meta) {
        const Value* loc = r_.object(msg, "location", path, true);
        if (loc == nullptr) return;
        const std::string lpath = path + ".location";
        const auto latitude = r_.number(*loc, "latitude", lpath, -90.0, 90.0);
        const auto longitude = r_.number(*loc, "longitude", lpath, -180.0, 180.0);
        const auto name = r_.text(*loc, "name", lpath, false);
        const auto address = r_.text(*loc, "address", lpath, false);
        const auto url = r_.text(*loc, "url", lpath, false);
        if (!latitude || !longitude) return;
        m.text = join({name.value_or(""), address.value_or(""),
                       format_number(*latitude) + "," + format_number(*longitude)},
                      "\n");
        meta.number("latitude", *latitude);
        meta.number("longitude", *longitude);
        meta.string("location_name", name.value_or(""));
        meta.string("location_address", address.value_or(""));
        meta.string("location_url", url.value_or(""));
    }

    // Shared contact cards: one text line per card ("Name: phone, phone"), the cards in
    // metadata.
    void contacts(const Value& msg, const std::string& path, sdk::Message& m,
                  MetadataWriter& meta) {
        const Value* cards = r_.array(msg, "contacts", path, true);
        if (cards == nullptr) return;
        const std::string cpath = path + ".contacts";
        std::vector<std::string> lines;
        meta.start_array("contacts");
        for (rapidjson::SizeType i = 0; i < cards->Size(); ++i) {
            const Value& card = (*cards)[i];
            const std::string card_path = index_path(cpath, i);
            if (!card.IsObject()) {
                r_.error(card_path, "invalid_type", "expected an object");
                continue;
            }
            std::string name;
            if (const Value* n = r_.object(card, "name", card_path, false)) {
                const std::string npath = card_path + ".name";
                name = r_.text(*n, "formatted_name", npath, false).value_or("");
                if (name.empty()) {
                    name = join({r_.text(*n, "first_name", npath, false).value_or(""),
                                 r_.text(*n, "last_name", npath, false).value_or("")},
                                " ");
                }
            }
            std::string company;
            if (const Value* org = r_.object(card, "org", card_path, false)) {
                company = r_.text(*org, "company", card_path + ".org", false).value_or("");
            }
            std::vector<std::string> phones;
            std::vector<std::string> wa_ids;
            if (const Value* list = r_.array(card, "phones", card_path, false)) {
                for (rapidjson::SizeType j = 0; j < list->Size(); ++j) {
                    const Value& p = (*list)[j];
                    const std::string ppath = index_path(card_path + ".phones", j);
                    if (!p.IsObject()) {
                        r_.error(ppath, "invalid_type", "expected an object");
                        continue;
                    }
                    phones.push_back(r_.text(p, "phone", ppath, false).value_or(""));
                    wa_ids.push_back(r_.text(p, "wa_id", ppath, false).value_or(""));
                }
            }
            std::vector<std::string> emails;
            if (const Value* list = r_.array(card, "emails", card_path, false)) {
                for (rapidjson::SizeType j = 0; j < list->Size(); ++j) {
                    const Value& e = (*list)[j];
                    const std::string epath = index_path(card_path + ".emails", j);
                    if (!e.IsObject()) {
                        r_.error(epath, "invalid_type", "expected an object");
                        continue;
                    }
                    emails.push_back(r_.text(e, "email", epath, false).value_or(""));
                }
            }
            const std::string reach = join(phones, ", ");
            const std::string emails_text = join(emails, ", ");
            const std::string details = join({reach, emails_text}, ", ");
            lines.push_back(
                name.empty()
                    ? details
                    : (details.empty() ? name : std::string(name).append(": ").append(details)));
            meta.start_object();
            meta.string("name", name);
            meta.string("company", company);
            write_list(meta, "phones", phones);
            write_list(meta, "wa_ids", wa_ids);
            write_list(meta, "emails", emails);
            meta.end_object();
        }
        meta.end_array();
        m.text = join(lines, "\n");
    }

    static void write_list(MetadataWriter& meta, std::string_view key,
                           const std::vector<std::string>& values) {
        bool any = false;
        for (const std::string& v : values) any = any || !v.empty();
        if (!any) return;
        meta.start_array(key);
        for (const std::string& v : values) {
            if (!v.empty()) meta.element(v);
        }
        meta.end_array();
    }

    // Replies to interactive messages: the tapped button's or row's title is the text.
    void interactive(const Value& msg, const std::string& path, sdk::Message& m,
                     MetadataWriter& meta) {
        const Value* it = r_.object(msg, "interactive", path, true);
        if (it == nullptr) return;
        const std::string ipath = path + ".interactive";
        const auto kind = r_.text(*it, "type", ipath, true);
        if (!kind) return;
        meta.string("interactive_type", *kind);
        if (*kind == "button_reply" || *kind == "list_reply") {
            const Value* reply = r_.object(*it, kind->c_str(), ipath, true);
            if (reply == nullptr) return;
            const std::string rpath = ipath + "." + *kind;
            const auto id = r_.text(*reply, "id", rpath, true);
            const auto title = r_.text(*reply, "title", rpath, true);
            const auto description = r_.text(*reply, "description", rpath, false);
            m.text = title.value_or("");
            meta.string("reply_id", id.value_or(""));
            meta.string("reply_title", title.value_or(""));
            meta.string("reply_description", description.value_or(""));
        } else if (*kind == "nfm_reply") {
            // A WhatsApp Flow's answer: its body is the text, its JSON answer goes to metadata.
            const Value* reply = r_.object(*it, "nfm_reply", ipath, true);
            if (reply == nullptr) return;
            const std::string rpath = ipath + ".nfm_reply";
            m.text = r_.text(*reply, "body", rpath, false).value_or("");
            meta.string("flow_name", r_.text(*reply, "name", rpath, false).value_or(""));
            meta.string("flow_response_json",
                        r_.text(*reply, "response_json", rpath, false).value_or(""));
        }
    }

    // A type this plugin does not know (Meta adds types): stored, with its type in metadata
    // and its text when its object has an obvious one, rather than refused and lost.
    void unknown(const Value& msg, const std::string& path, const std::string& type,
                 sdk::Message& m, MetadataWriter& meta) {
        const Value* object = Reader::member(msg, type.c_str());
        if (object == nullptr || !object->IsObject()) return;
        const std::string opath = path + "." + type;
        for (const char* key : {"body", "text", "caption"}) {
            const Value* v = Reader::member(*object, key);
            if (v != nullptr && v->IsString()) {
                m.text = r_.text(*object, key, opath, false).value_or("");
                break;
            }
        }
        const Value* subtype = Reader::member(*object, "type");
        if (subtype != nullptr && subtype->IsString()) {
            meta.string("subtype", r_.text(*object, "type", opath, false).value_or(""));
        }
    }

    Reader& r_;
    const ValueContext& ctx_;
};

// Reads value.metadata and value.contacts, which the value's messages share.
ValueContext read_context(Reader& r, const Value& value, const std::string& path,
                          std::string waba_id) {
    ValueContext ctx;
    ctx.waba_id = std::move(waba_id);
    if (const Value* metadata = r.object(value, "metadata", path, false)) {
        const std::string mpath = path + ".metadata";
        ctx.display_phone_number =
            r.text(*metadata, "display_phone_number", mpath, false).value_or("");
        ctx.phone_number_id = r.text(*metadata, "phone_number_id", mpath, false).value_or("");
        // The business number is informative: an odd one must not lose the customer's message.
        ctx.recipient = whatsapp_e164(ctx.display_phone_number).value_or("");
    }
    if (const Value* contacts = r.array(value, "contacts", path, false)) {
        for (rapidjson::SizeType i = 0; i < contacts->Size(); ++i) {
            const Value& c = (*contacts)[i];
            const std::string cpath = index_path(path + ".contacts", i);
            if (!c.IsObject()) {
                r.error(cpath, "invalid_type", "expected an object");
                continue;
            }
            Contact contact;
            contact.wa_id = r.text(c, "wa_id", cpath, false).value_or("");
            contact.user_id = r.text(c, "user_id", cpath, false).value_or("");
            if (const Value* profile = r.object(c, "profile", cpath, false)) {
                contact.name = r.text(*profile, "name", cpath + ".profile", false).value_or("");
            }
            ctx.contacts.push_back(std::move(contact));
        }
    }
    return ctx;
}

void read_value(Reader& r, const Value& value, const std::string& path, std::string waba_id,
                ParseResult& out) {
    const ValueContext ctx = read_context(r, value, path, std::move(waba_id));
    const Value* messages = r.array(value, "messages", path, false);
    if (messages == nullptr) return;
    MessageReader reader(r, ctx);
    for (rapidjson::SizeType i = 0; i < messages->Size(); ++i) {
        auto m = reader.read((*messages)[i], index_path(path + ".messages", i));
        if (m) out.messages.push_back(std::move(*m));
    }
}

}  // namespace

ParseResult parse_meta(std::string_view body) {
    ParseResult out;
    Reader r(out.errors);
    rapidjson::Document doc;
    // Iterative parsing keeps a deeply nested body from overflowing the stack, and the
    // encoding check guarantees that every string read from it is UTF-8.
    doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(body.data(),
                                                                                      body.size());
    if (doc.HasParseError()) {
        r.error("body", "malformed_json",
                "malformed JSON at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                    rapidjson::GetParseError_En(doc.GetParseError()));
        return out;
    }
    const Value* object = doc.IsObject() ? Reader::member(doc, "object") : nullptr;
    if (object == nullptr || !object->IsString() || view(*object) != kObject) {
        r.error("object", "unknown_provider",
                "a JSON body must be a Meta WhatsApp Cloud API notification "
                "(\"object\": \"whatsapp_business_account\")");
        return out;
    }
    const Value* entries = r.array(doc, "entry", "", /*required=*/true);
    if (entries == nullptr) return out;
    for (rapidjson::SizeType i = 0; i < entries->Size(); ++i) {
        const Value& entry = (*entries)[i];
        const std::string epath = index_path("entry", i);
        if (!entry.IsObject()) {
            r.error(epath, "invalid_type", "expected an object");
            continue;
        }
        const std::string waba_id = r.text(entry, "id", epath, false).value_or("");
        const Value* changes = r.array(entry, "changes", epath, /*required=*/true);
        if (changes == nullptr) continue;
        for (rapidjson::SizeType j = 0; j < changes->Size(); ++j) {
            const Value& change = (*changes)[j];
            const std::string cpath = index_path(epath + ".changes", j);
            if (!change.IsObject()) {
                r.error(cpath, "invalid_type", "expected an object");
                continue;
            }
            // Other subscriptions (account_update, templates…) carry no customer message.
            const auto field = r.text(change, "field", cpath, false);
            if (field && *field != "messages") continue;
            const Value* value = r.object(change, "value", cpath, /*required=*/true);
            if (value == nullptr) continue;
            read_value(r, *value, cpath + ".value", waba_id, out);
        }
    }
    if (out.messages.size() > kMaxMessages) {
        r.error("entry", "too_many_messages",
                "a request may carry at most " + std::to_string(kMaxMessages) + " messages");
    }
    if (!out.errors.empty()) out.messages.clear();
    return out;
}

}  // namespace memolib::plugins::whatsapp
