#include "typeform.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "memolib/plugins/common/crypto.hpp"
#include "memolib/plugins/common/phone.hpp"
#include "memolib/plugins/common/text.hpp"

namespace memolib::plugins::form {
namespace {

using rapidjson::Value;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view kSignaturePrefix = "sha256=";

std::string_view view(const Value& v) noexcept { return {v.GetString(), v.GetStringLength()}; }

// The first member `name` of `object`, or nullptr; the first occurrence wins everywhere, so
// that detection and parsing read a body the same way.
const Value* member(const Value& object, std::string_view name) noexcept {
    if (!object.IsObject()) return nullptr;
    for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
        if (it->name.IsString() && view(it->name) == name) return &it->value;
    }
    return nullptr;
}

// Absent and JSON null mean the same thing in Typeform's payloads.
bool absent(const Value* v) noexcept { return v == nullptr || v->IsNull(); }

std::string type_name(const Value& v) {
    if (v.IsObject()) return "an object";
    if (v.IsArray()) return "an array";
    if (v.IsString()) return "a string";
    if (v.IsNumber()) return "a number";
    if (v.IsBool()) return "a boolean";
    return "null";
}

// A JSON number as JSON writes it ("5", "4.5").
std::string number_text(const Value& number) {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    number.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
}

void write_key(JsonWriter& writer, std::string_view key) {
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

void write_string(JsonWriter& writer, std::string_view s) {
    writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// A string, number or boolean, as found in `hidden` and `variables`.
void write_scalar(JsonWriter& writer, const Value& v) {
    if (v.IsString()) {
        write_string(writer, view(v));
    } else if (v.IsBool()) {
        writer.Bool(v.GetBool());
    } else {
        // Numbers only: Accept on a scalar never recurses.
        v.Accept(writer);
    }
}

// What one answer holds, read according to its `type`.
struct AnswerValue {
    enum class Kind { kNone, kString, kNumber, kBoolean, kList };
    Kind kind = Kind::kNone;
    std::string_view text;
    const Value* number = nullptr;
    bool boolean = false;
    std::vector<std::string_view> list;
};

// The readable form of a value, for the message columns and the summary text.
std::string readable(const AnswerValue& v) {
    switch (v.kind) {
        case AnswerValue::Kind::kString:
            return std::string(v.text);
        case AnswerValue::Kind::kNumber:
            return number_text(*v.number);
        case AnswerValue::Kind::kBoolean:
            return v.boolean ? "yes" : "no";
        case AnswerValue::Kind::kList: {
            std::string out;
            for (std::string_view item : v.list) {
                if (!out.empty()) out += ", ";
                out += item;
            }
            return out;
        }
        case AnswerValue::Kind::kNone:
            break;
    }
    return {};
}

void write_value(JsonWriter& writer, const AnswerValue& v) {
    switch (v.kind) {
        case AnswerValue::Kind::kString:
            write_string(writer, v.text);
            break;
        case AnswerValue::Kind::kNumber:
            v.number->Accept(writer);
            break;
        case AnswerValue::Kind::kBoolean:
            writer.Bool(v.boolean);
            break;
        case AnswerValue::Kind::kList:
            writer.StartArray();
            for (std::string_view item : v.list) write_string(writer, item);
            writer.EndArray();
            break;
        case AnswerValue::Kind::kNone:
            writer.Null();
            break;
    }
}

// One field of `definition.fields`.
struct FieldInfo {
    std::string_view ref;
    std::string_view title;
};

// One element of `answers`, with what the definition says about its field.
struct Answer {
    std::string_view type;
    std::string_view field_id;
    std::string_view field_type;
    std::string_view ref;
    std::string_view title;
    AnswerValue value;
    // Set once the answer became a message column or an attachment.
    bool used = false;
};

// The answer types whose value is a string member named like the type.
bool is_string_type(std::string_view type) noexcept {
    return type == "text" || type == "email" || type == "phone_number" || type == "url" ||
           type == "file_url" || type == "date";
}

// The file name at the end of a file_url, without its query.
std::string_view file_name(std::string_view url) noexcept {
    url = url.substr(0, url.find_first_of("?#"));
    const std::size_t slash = url.rfind('/');
    return slash == std::string_view::npos ? url : url.substr(slash + 1);
}

// Reads one form_response: records every problem with its field path, then maps the answers.
class TypeformReader {
public:
    TypeformReader(const std::string& region, const sdk::Host& host)
        : region_(region), host_(host) {}

    bool read(const Value& root, sdk::Message& message) {
        const Value& response = *member(root, "form_response");
        event_id_ = optional_string(root, "event_id", "event_id");
        read_token(response);
        form_id_ = optional_string(response, "form_id", "form_response.form_id");
        landed_at_ = optional_string(response, "landed_at", "form_response.landed_at");
        read_submitted_at(response);
        read_definition(response);
        read_answers(response);
        read_hidden(response);
        read_extras(response);
        if (!ok_) return false;
        map(message);
        return true;
    }

private:
    void error(const std::string& field, std::string_view code, const std::string& message) {
        host_.error(field, code, message);
        ok_ = false;
    }

    // False (with an error) when `s` cannot be stored as text.
    bool check_text(std::string_view s, const std::string& path) {
        if (!common::is_valid_utf8(s)) {
            error(path, "invalid_encoding", "not valid UTF-8");
            return false;
        }
        if (s.find('\0') != std::string_view::npos) {
            error(path, "invalid_encoding", "contains a NUL character");
            return false;
        }
        return true;
    }

    // The member as a string when present; absent and null give an empty view.
    std::string_view optional_string(const Value& object, std::string_view name,
                                     const std::string& path) {
        const Value* v = member(object, name);
        if (absent(v)) return {};
        if (!v->IsString()) {
            error(path, "invalid_type", "expected a string, got " + type_name(*v));
            return {};
        }
        return check_text(view(*v), path) ? view(*v) : std::string_view{};
    }

    // The member as a string; an error when it is absent.
    std::optional<std::string_view> required_string(const Value& object, std::string_view name,
                                                    const std::string& path) {
        const Value* v = member(object, name);
        if (absent(v)) {
            error(path, "required", "missing");
            return std::nullopt;
        }
        if (!v->IsString()) {
            error(path, "invalid_type", "expected a string, got " + type_name(*v));
            return std::nullopt;
        }
        if (!check_text(view(*v), path)) return std::nullopt;
        return view(*v);
    }

    // The member when it is an object; nullptr when absent, an error when of another type.
    const Value* optional_object(const Value& object, std::string_view name,
                                 const std::string& path) {
        const Value* v = member(object, name);
        if (absent(v)) return nullptr;
        if (!v->IsObject()) {
            error(path, "invalid_type", "expected an object, got " + type_name(*v));
            return nullptr;
        }
        return v;
    }

    const Value* optional_array(const Value& object, std::string_view name,
                                const std::string& path) {
        const Value* v = member(object, name);
        if (absent(v)) return nullptr;
        if (!v->IsArray()) {
            error(path, "invalid_type", "expected an array, got " + type_name(*v));
            return nullptr;
        }
        return v;
    }

    void read_token(const Value& response) {
        const std::optional<std::string_view> token =
            required_string(response, "token", "form_response.token");
        if (!token) return;
        token_ = common::trim(*token);
        if (token_.empty()) error("form_response.token", "required", "the response id is blank");
    }

    void read_submitted_at(const Value& response) {
        const std::string path = "form_response.submitted_at";
        const std::string_view text = optional_string(response, "submitted_at", path);
        if (text.empty()) return;
        const std::optional<long long> ms = common::parse_iso8601_ms(text);
        if (!ms) {
            error(path, "invalid_format",
                  "not an ISO 8601 date-time: '" + common::printable(text) + "'");
            return;
        }
        submitted_at_ms_ = *ms;
    }

    void read_definition(const Value& response) {
        const Value* definition =
            optional_object(response, "definition", "form_response.definition");
        if (definition == nullptr) return;
        form_title_ =
            common::trim(optional_string(*definition, "title", "form_response.definition.title"));
        const Value* fields =
            optional_array(*definition, "fields", "form_response.definition.fields");
        if (fields == nullptr) return;
        for (rapidjson::SizeType i = 0; i < fields->Size(); ++i) {
            const std::string path = "form_response.definition.fields[" + std::to_string(i) + "]";
            const Value& field = (*fields)[i];
            if (!field.IsObject()) {
                error(path, "invalid_type", "expected an object, got " + type_name(field));
                continue;
            }
            const std::string_view id = optional_string(field, "id", path + ".id");
            FieldInfo info{optional_string(field, "ref", path + ".ref"),
                           common::trim(optional_string(field, "title", path + ".title"))};
            // The first definition of an id wins, as the first occurrence does everywhere.
            if (!id.empty()) fields_.emplace(id, info);
        }
    }

    void read_answers(const Value& response) {
        const Value* answers = optional_array(response, "answers", "form_response.answers");
        if (answers == nullptr) return;
        answers_.reserve(answers->Size());
        for (rapidjson::SizeType i = 0; i < answers->Size(); ++i) {
            read_answer((*answers)[i], "form_response.answers[" + std::to_string(i) + "]");
        }
    }

    void read_answer(const Value& value, const std::string& path) {
        if (!value.IsObject()) {
            error(path, "invalid_type", "expected an object, got " + type_name(value));
            return;
        }
        Answer answer;
        const std::optional<std::string_view> type = required_string(value, "type", path + ".type");
        const Value* field = member(value, "field");
        if (absent(field)) {
            error(path + ".field", "required", "missing");
        } else if (!field->IsObject()) {
            error(path + ".field", "invalid_type", "expected an object, got " + type_name(*field));
        } else {
            answer.field_id = optional_string(*field, "id", path + ".field.id");
            answer.field_type = optional_string(*field, "type", path + ".field.type");
            answer.ref = optional_string(*field, "ref", path + ".field.ref");
        }
        // Typeform's own example leaves `ref` out of most answers: the definition has it.
        if (const auto it = fields_.find(answer.field_id); it != fields_.end()) {
            if (answer.ref.empty()) answer.ref = it->second.ref;
            answer.title = it->second.title;
        }
        if (!type) return;
        answer.type = *type;
        answer.value = read_value(value, answer.type, path);
        answers_.push_back(std::move(answer));
    }

    AnswerValue read_value(const Value& answer, std::string_view type, const std::string& path) {
        AnswerValue out;
        const std::string value_path = path + "." + std::string(type);
        if (is_string_type(type)) {
            if (const auto s = required_string(answer, type, value_path)) {
                out.kind = AnswerValue::Kind::kString;
                out.text = *s;
            }
        } else if (type == "number" || type == "boolean") {
            const Value* v = member(answer, type);
            const bool number = type == "number";
            if (absent(v)) {
                error(value_path, "required", "missing");
            } else if (number ? !v->IsNumber() : !v->IsBool()) {
                error(value_path, "invalid_type",
                      std::string("expected a ") + (number ? "number" : "boolean") + ", got " +
                          type_name(*v));
            } else if (number) {
                out.kind = AnswerValue::Kind::kNumber;
                out.number = v;
            } else {
                out.kind = AnswerValue::Kind::kBoolean;
                out.boolean = v->GetBool();
            }
        } else if (type == "choice") {
            read_choice(answer, value_path, out);
        } else if (type == "choices") {
            read_choices(answer, value_path, out);
        } else {
            // A type this plugin does not know: its value is kept when it is a plain one; the
            // raw payload, which the host stores, keeps it in every case.
            const Value* v = member(answer, type);
            if (!absent(v) && v->IsString() && check_text(view(*v), value_path)) {
                out.kind = AnswerValue::Kind::kString;
                out.text = view(*v);
            } else if (!absent(v) && v->IsNumber()) {
                out.kind = AnswerValue::Kind::kNumber;
                out.number = v;
            } else if (!absent(v) && v->IsBool()) {
                out.kind = AnswerValue::Kind::kBoolean;
                out.boolean = v->GetBool();
            }
        }
        return out;
    }

    void read_choice(const Value& answer, const std::string& path, AnswerValue& out) {
        const Value* choice = member(answer, "choice");
        if (absent(choice)) {
            error(path, "required", "missing");
            return;
        }
        if (!choice->IsObject()) {
            error(path, "invalid_type", "expected an object, got " + type_name(*choice));
            return;
        }
        // A respondent who typed their own option gets `other` instead of `label`.
        if (absent(member(*choice, "label")) && absent(member(*choice, "other"))) {
            error(path + ".label", "required", "neither label nor other is given");
            return;
        }
        const std::string_view label = optional_string(*choice, "label", path + ".label");
        const std::string_view other = optional_string(*choice, "other", path + ".other");
        out.kind = AnswerValue::Kind::kString;
        out.text = !label.empty() ? label : other;
    }

    void read_choices(const Value& answer, const std::string& path, AnswerValue& out) {
        const Value* choices = member(answer, "choices");
        if (absent(choices)) {
            error(path, "required", "missing");
            return;
        }
        if (!choices->IsObject()) {
            error(path, "invalid_type", "expected an object, got " + type_name(*choices));
            return;
        }
        out.kind = AnswerValue::Kind::kList;
        if (const Value* labels = optional_array(*choices, "labels", path + ".labels")) {
            for (rapidjson::SizeType i = 0; i < labels->Size(); ++i) {
                const std::string item_path = path + ".labels[" + std::to_string(i) + "]";
                const Value& label = (*labels)[i];
                if (!label.IsString()) {
                    error(item_path, "invalid_type", "expected a string, got " + type_name(label));
                } else if (check_text(view(label), item_path)) {
                    out.list.push_back(view(label));
                }
            }
        }
        const std::string_view other = optional_string(*choices, "other", path + ".other");
        if (!other.empty()) out.list.push_back(other);
    }

    void read_hidden(const Value& response) {
        const Value* hidden = optional_object(response, "hidden", "form_response.hidden");
        if (hidden == nullptr) return;
        for (auto it = hidden->MemberBegin(); it != hidden->MemberEnd(); ++it) {
            const std::string_view key = view(it->name);
            const std::string path = "form_response.hidden." + common::printable(key, 64);
            if (!check_text(key, path)) continue;
            const Value& v = it->value;
            // Typeform sends hidden fields as strings; a nested value has no place in a column.
            if (v.IsString()) {
                if (check_text(view(v), path)) hidden_.emplace_back(key, &v);
            } else if (v.IsNumber() || v.IsBool()) {
                hidden_.emplace_back(key, &v);
            }
        }
    }

    // `calculated.score` and `variables`, kept when they have their documented shape and
    // skipped otherwise: nothing of the message depends on them.
    void read_extras(const Value& response) {
        const Value* calculated = member(response, "calculated");
        if (calculated != nullptr && calculated->IsObject()) {
            const Value* score = member(*calculated, "score");
            if (score != nullptr && score->IsNumber()) score_ = score;
        }
        const Value* variables = member(response, "variables");
        if (variables == nullptr || !variables->IsArray()) return;
        for (const Value& variable : variables->GetArray()) {
            const Value* key = member(variable, "key");
            const Value* type = member(variable, "type");
            if (key == nullptr || !key->IsString() || type == nullptr || !type->IsString()) {
                continue;
            }
            const Value* v = member(variable, view(*type));
            if (v == nullptr || !common::is_valid_utf8(view(*key)) ||
                view(*key).find('\0') != std::string_view::npos) {
                continue;
            }
            const bool text = v->IsString() && common::is_valid_utf8(view(*v)) &&
                              view(*v).find('\0') == std::string_view::npos;
            if (text || v->IsNumber() || v->IsBool()) variables_.emplace_back(view(*key), v);
        }
    }

    // The first answer still free whose field has the conventional `ref`.
    Answer* by_ref(std::string_view ref) {
        for (Answer& a : answers_) {
            if (!a.used && a.ref == ref && a.value.kind != AnswerValue::Kind::kNone) return &a;
        }
        return nullptr;
    }

    // Takes the answer's trimmed text when it is not blank.
    std::string take_text(Answer* answer) {
        if (answer == nullptr) return {};
        std::string text(common::trim(readable(answer->value)));
        if (!text.empty()) answer->used = true;
        return text;
    }

    // The `email` ref first, then the first answer of type email, whose address is usable.
    std::string take_email() {
        if (Answer* a = by_ref("email")) {
            std::string email = common::normalize_email(common::trim(readable(a->value)));
            if (!email.empty()) {
                a->used = true;
                return email;
            }
        }
        for (Answer& a : answers_) {
            if (a.used || a.type != "email") continue;
            std::string email = common::normalize_email(common::trim(a.value.text));
            if (!email.empty()) {
                a.used = true;
                return email;
            }
        }
        return {};
    }

    // The `phone` ref first, then the first answer of type phone_number, in E.164.
    std::string take_phone() {
        if (Answer* a = by_ref("phone")) {
            if (auto phone = common::to_e164(common::trim(readable(a->value)), region_)) {
                a->used = true;
                return *phone;
            }
        }
        for (Answer& a : answers_) {
            if (a.used || a.type != "phone_number") continue;
            if (auto phone = common::to_e164(common::trim(a.value.text), region_)) {
                a.used = true;
                return *phone;
            }
        }
        return {};
    }

    // The `message` ref, else the longest long_text answer, else a summary of every answer.
    std::string take_message() {
        if (Answer* a = by_ref("message")) {
            std::string text = common::normalize_newlines(common::trim(readable(a->value)));
            if (!text.empty()) {
                a->used = true;
                return text;
            }
        }
        Answer* longest = nullptr;
        for (Answer& a : answers_) {
            if (a.used || a.type != "text" || a.field_type != "long_text") continue;
            if (common::trim(a.value.text).empty()) continue;
            if (longest == nullptr || a.value.text.size() > longest->value.text.size()) {
                longest = &a;
            }
        }
        if (longest != nullptr) {
            longest->used = true;
            return common::normalize_newlines(common::trim(longest->value.text));
        }
        return summary();
    }

    // "Title: value" per answer, so that a response without a message loses nothing.
    std::string summary() const {
        std::string out;
        for (const Answer& a : answers_) {
            if (a.value.kind == AnswerValue::Kind::kNone) continue;
            const std::string_view label =
                !a.title.empty() ? a.title : (!a.ref.empty() ? a.ref : a.field_id);
            if (!out.empty()) out += '\n';
            if (!label.empty()) {
                out += label;
                out += ": ";
            }
            out += common::normalize_newlines(common::trim(readable(a.value)));
        }
        return out;
    }

    void take_attachments(std::vector<sdk::Attachment>& attachments) {
        for (Answer& a : answers_) {
            if (a.used || a.type != "file_url" || common::trim(a.value.text).empty()) continue;
            sdk::Attachment attachment;
            attachment.url = std::string(common::trim(a.value.text));
            attachment.name = std::string(file_name(attachment.url));
            attachments.push_back(std::move(attachment));
            a.used = true;
        }
    }

    std::string metadata(const std::string& phone) const {
        rapidjson::StringBuffer buffer;
        JsonWriter writer(buffer);
        writer.StartObject();
        bool any = false;
        const auto put = [&](std::string_view key, std::string_view value) {
            if (value.empty()) return;
            write_key(writer, key);
            write_string(writer, value);
            any = true;
        };
        put("event_id", event_id_);
        put("form_id", form_id_);
        put("landed_at", landed_at_);
        put("phone", phone);
        if (score_ != nullptr) {
            write_key(writer, "score");
            score_->Accept(writer);
            any = true;
        }
        write_answers(writer, any);
        const auto put_scalars = [&](std::string_view key, const auto& members) {
            if (members.empty()) return;
            write_key(writer, key);
            writer.StartObject();
            for (const auto& [name, value] : members) {
                write_key(writer, name);
                write_scalar(writer, *value);
            }
            writer.EndObject();
            any = true;
        };
        put_scalars("hidden", hidden_);
        put_scalars("variables", variables_);
        writer.EndObject();
        return any ? std::string(buffer.GetString(), buffer.GetSize()) : std::string();
    }

    // Every answer that did not become a column, keyed by its field's ref (else its title).
    void write_answers(JsonWriter& writer, bool& any) const {
        std::set<std::string> keys;
        bool open = false;
        for (std::size_t i = 0; i < answers_.size(); ++i) {
            const Answer& a = answers_[i];
            if (a.used || a.value.kind == AnswerValue::Kind::kNone) continue;
            std::string key(!a.ref.empty() ? a.ref : (!a.title.empty() ? a.title : a.field_id));
            // Titles may repeat, and a JSON object with a key twice would lose one answer.
            if (key.empty()) key = "[" + std::to_string(i) + "]";
            while (keys.count(key) > 0) key += "[" + std::to_string(i) + "]";
            keys.insert(key);
            if (!open) {
                write_key(writer, "answers");
                writer.StartObject();
                open = true;
            }
            write_key(writer, key);
            write_value(writer, a.value);
        }
        if (open) {
            writer.EndObject();
            any = true;
        }
    }

    void map(sdk::Message& message) {
        message.provider = "typeform";
        message.external_id = std::string(token_);
        message.provider_timestamp_ms = submitted_at_ms_;
        message.sender_name = take_text(by_ref("name"));
        const std::string email = take_email();
        std::string phone = take_phone();
        message.sender = !email.empty() ? email : phone;
        if (email.empty()) phone.clear();
        message.subject = take_text(by_ref("subject"));
        if (message.subject.empty()) message.subject = std::string(form_title_);
        message.text = take_message();
        take_attachments(message.attachments);
        message.metadata_json = metadata(phone);
    }

    const std::string& region_;
    const sdk::Host& host_;
    bool ok_ = true;
    std::string_view event_id_;
    std::string_view token_;
    std::string_view form_id_;
    std::string_view landed_at_;
    std::string_view form_title_;
    std::int64_t submitted_at_ms_ = 0;
    const Value* score_ = nullptr;
    std::unordered_map<std::string_view, FieldInfo> fields_;
    std::vector<Answer> answers_;
    std::vector<std::pair<std::string_view, const Value*>> hidden_;
    std::vector<std::pair<std::string_view, const Value*>> variables_;
};

}  // namespace

bool parse_json_document(std::string_view body, rapidjson::Document& document) {
    document.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
    return !document.HasParseError();
}

bool is_typeform_event(const rapidjson::Value& root) noexcept {
    const Value* type = member(root, "event_type");
    const Value* response = member(root, "form_response");
    return type != nullptr && type->IsString() && view(*type) == "form_response" &&
           response != nullptr && response->IsObject();
}

sdk::Status verify_typeform(const sdk::Request& request, std::string_view secret,
                            const sdk::Host& host) {
    const std::optional<std::string_view> header = request.header(kTypeformSignatureHeader);
    const std::string_view given = header ? common::trim(*header) : std::string_view{};
    if (given.empty()) {
        host.error(kTypeformSignatureHeader, "missing_signature",
                   "a Typeform webhook must be signed, since typeform_secret is configured");
        return sdk::Status::kUnauthorized;
    }
    if (given.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
        host.error(kTypeformSignatureHeader, "invalid_format", "expected sha256=<base64>");
        return sdk::Status::kUnauthorized;
    }
    const std::string expected = std::string(kSignaturePrefix) +
                                 common::base64_encode(common::hmac_sha256(secret, request.body()));
    if (!common::constant_time_equals(given, expected)) {
        host.error(kTypeformSignatureHeader, "signature_mismatch",
                   "the signature is not the body's HMAC-SHA256 with typeform_secret");
        return sdk::Status::kUnauthorized;
    }
    return sdk::Status::kOk;
}

sdk::Status parse_typeform(const rapidjson::Value& root, const std::string& region,
                           const sdk::Host& host) {
    TypeformReader reader(region, host);
    sdk::Message message;
    if (!reader.read(root, message)) return sdk::Status::kInvalid;
    return host.emit(message) ? sdk::Status::kOk : sdk::Status::kInvalid;
}

}  // namespace memolib::plugins::form
