#include <cstdint>
#include <string>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "form_fields.hpp"

namespace memolib::plugins::form {
namespace {

// Reads the top-level members of a JSON object through SAX events, so that nested values of
// fields we ignore cost no memory and no recursion whatever their depth.
class FormHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, FormHandler> {
public:
    explicit FormHandler(RawForm& form) : form_(form) {}

    // True when the root value turned out not to be an object (the parse was stopped).
    bool root_not_object() const noexcept { return root_not_object_; }

    bool StartObject() {
        if (depth_ == 0) {
            ++depth_;
            return true;
        }
        if (depth_ == 1) form_.set_wrong_type(key_, "an object");
        ++depth_;
        return true;
    }
    bool EndObject(rapidjson::SizeType) {
        --depth_;
        return true;
    }
    bool StartArray() {
        if (depth_ == 0) return stop_not_object();
        if (depth_ == 1) form_.set_wrong_type(key_, "an array");
        ++depth_;
        return true;
    }
    bool EndArray(rapidjson::SizeType) {
        --depth_;
        return true;
    }
    bool Key(const char* str, rapidjson::SizeType length, bool) {
        if (depth_ == 1) key_.assign(str, length);
        return true;
    }
    bool String(const char* str, rapidjson::SizeType length, bool) {
        if (depth_ == 0) return stop_not_object();
        if (depth_ == 1) form_.set(key_, std::string_view(str, length));
        return true;
    }
    bool Null() {
        if (depth_ == 0) return stop_not_object();
        if (depth_ == 1) form_.set_null(key_);
        return true;
    }
    bool Bool(bool) { return scalar("a boolean"); }
    bool Int(int) { return scalar("a number"); }
    bool Uint(unsigned) { return scalar("a number"); }
    bool Int64(std::int64_t) { return scalar("a number"); }
    bool Uint64(std::uint64_t) { return scalar("a number"); }
    bool Double(double) { return scalar("a number"); }
    bool RawNumber(const char*, rapidjson::SizeType, bool) { return scalar("a number"); }

private:
    bool scalar(std::string_view kind) {
        if (depth_ == 0) return stop_not_object();
        if (depth_ == 1) form_.set_wrong_type(key_, kind);
        return true;
    }
    bool stop_not_object() {
        root_not_object_ = true;
        return false;
    }

    RawForm& form_;
    int depth_ = 0;
    std::string key_;
    bool root_not_object_ = false;
};

}  // namespace

void decode_json(std::string_view body, RawForm& form) {
    FormHandler handler(form);
    rapidjson::Reader reader;
    rapidjson::MemoryStream stream(body.data(), body.size());
    // Iterative parsing keeps a deeply nested body from overflowing the stack; invalid UTF-8
    // is left to the per-field check so that the error names the field.
    const rapidjson::ParseResult result =
        reader.Parse<rapidjson::kParseIterativeFlag>(stream, handler);
    if (handler.root_not_object()) {
        form.reject_body("invalid_type", "expected a JSON object");
        return;
    }
    if (result.IsError()) {
        form.reject_body("malformed_json", "malformed JSON at offset " +
                                               std::to_string(result.Offset()) + ": " +
                                               rapidjson::GetParseError_En(result.Code()));
    }
}

}  // namespace memolib::plugins::form
