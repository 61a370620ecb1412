#include "request_params.hpp"

#include <cstdint>
#include <string>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "memolib/plugins/common/text.hpp"

namespace memolib::plugins::sms {
namespace {

// Collects the top-level members of a JSON object through SAX events, so that nested values
// cost no memory and no recursion whatever their depth.
class TopLevelHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TopLevelHandler> {
public:
    explicit TopLevelHandler(Params& params) : params_(params) {}

    bool root_not_object() const noexcept { return root_not_object_; }

    bool StartObject() { return open(); }
    bool EndObject(rapidjson::SizeType) { return close(); }
    bool StartArray() {
        if (depth_ == 0) return stop_not_object();
        return open();
    }
    bool EndArray(rapidjson::SizeType) { return close(); }
    bool Key(const char* str, rapidjson::SizeType length, bool) {
        if (depth_ == 1) key_.assign(str, length);
        return true;
    }
    bool String(const char* str, rapidjson::SizeType length, bool) {
        return scalar(std::string_view(str, length));
    }
    bool RawNumber(const char* str, rapidjson::SizeType length, bool) {
        return scalar(std::string_view(str, length));
    }
    bool Bool(bool b) { return scalar(b ? "true" : "false"); }
    bool Null() {
        if (depth_ == 0) return stop_not_object();
        return true;
    }

private:
    bool open() {
        if (depth_ == 1) params_.structured.push_back(key_);
        ++depth_;
        return true;
    }
    bool close() {
        --depth_;
        return true;
    }
    bool scalar(std::string_view value) {
        if (depth_ == 0) return stop_not_object();
        if (depth_ == 1) params_.pairs.emplace_back(key_, std::string(value));
        return true;
    }
    bool stop_not_object() {
        root_not_object_ = true;
        return false;
    }

    Params& params_;
    int depth_ = 0;
    std::string key_;
    bool root_not_object_ = false;
};

void read_json(std::string_view body, ReadResult& out) {
    out.params.source = ParamSource::kJson;
    TopLevelHandler handler(out.params);
    rapidjson::Reader reader;
    rapidjson::MemoryStream stream(body.data(), body.size());
    // Iterative parsing keeps a deeply nested body from overflowing the stack; numbers stay
    // as written, since a signature covers their text.
    const rapidjson::ParseResult result =
        reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag>(
            stream, handler);
    if (handler.root_not_object()) {
        out.errors.push_back({"body", "invalid_type", "expected a JSON object"});
    } else if (result.IsError()) {
        out.errors.push_back({"body", "malformed_json",
                              "malformed JSON at offset " + std::to_string(result.Offset()) + ": " +
                                  rapidjson::GetParseError_En(result.Code())});
    }
    if (!out.errors.empty()) {
        out.params.pairs.clear();
        out.params.structured.clear();
        out.status = sdk::Status::kInvalid;
    }
}

}  // namespace

const std::string* Params::find(std::string_view name) const {
    for (const auto& [key, value] : pairs) {
        if (key == name) return &value;
    }
    return nullptr;
}

bool Params::is_structured(std::string_view name) const {
    for (const std::string& key : structured) {
        if (key == name) return true;
    }
    return false;
}

ReadResult read_params(const sdk::Request& request) {
    ReadResult out;
    const std::string_view body = request.body();
    if (request.method() == "GET" || body.empty()) {
        out.params.source = ParamSource::kQuery;
        out.params.pairs = common::parse_urlencoded(request.query());
        return out;
    }
    const std::string media_type = request.media_type();
    if (media_type == "application/json") {
        read_json(body, out);
    } else if (media_type == "application/x-www-form-urlencoded") {
        out.params.source = ParamSource::kForm;
        out.params.pairs = common::parse_urlencoded(body);
    } else {
        out.status = sdk::Status::kUnsupportedMediaType;
        out.errors.push_back({"content-type", "unsupported_media_type",
                              "expected application/x-www-form-urlencoded (Twilio, Vonage) or "
                              "application/json (Vonage), got '" +
                                  common::printable(request.content_type()) + "'"});
    }
    return out;
}

Provider detect_provider(const Params& params) {
    if (params.source != ParamSource::kJson && (params.has("MessageSid") || params.has("SmsSid"))) {
        return Provider::kTwilio;
    }
    if (params.has("msisdn") && params.has("messageId")) return Provider::kVonage;
    return Provider::kUnknown;
}

FieldError unknown_provider_error(const Params& params) {
    return {params.origin(), "unknown_provider",
            "no SMS provider recognizes this request: expected a Twilio webhook (a form or query "
            "with MessageSid or SmsSid) or a Vonage inbound SMS (msisdn and messageId in JSON, a "
            "form or the query string)"};
}

}  // namespace memolib::plugins::sms
