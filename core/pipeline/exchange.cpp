#include "pipeline/exchange.hpp"

#include <boost/beast/core/string.hpp>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "util/utf8.hpp"

namespace memolib::core {

void Exchange::reset() {
    // Copy-assigning an empty exchange keeps every string's and vector's capacity, and cannot
    // forget a member the way a list of clear() calls would once a member is added.
    static const Exchange kBlank;
    std::shared_ptr<RequestView> view = std::move(request_view);
    *this = kBlank;
    request_view = std::move(view);
    started = std::chrono::steady_clock::now();
}

const std::string* Exchange::header(std::string_view name) const {
    const boost::beast::string_view wanted(name.data(), name.size());
    for (const auto& [k, v] : headers) {
        if (boost::beast::iequals(k, wanted)) return &v;
    }
    return nullptr;
}

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer& w, std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void write_field_errors(Writer& w, const std::vector<FieldError>& errors) {
    // A plugin's or a client's bytes: JSON (and PostgreSQL TEXT) holds only UTF-8.
    const auto text = [&w](const std::string& s) {
        write_string(w, is_valid_utf8(s) ? std::string_view(s) : std::string_view("(not UTF-8)"));
    };
    w.StartArray();
    for (const FieldError& e : errors) {
        w.StartObject();
        w.Key("field");
        text(e.field);
        w.Key("code");
        text(e.code);
        w.Key("message");
        text(e.message);
        w.EndObject();
    }
    w.EndArray();
}

}  // namespace

std::string field_errors_json(const std::vector<FieldError>& errors) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    write_field_errors(w, errors);
    return {buf.GetString(), buf.GetSize()};
}

void Exchange::fail(int http_status, std::string_view error, std::string_view message,
                    const std::vector<FieldError>& details) {
    status = http_status;
    reason = std::string(error);
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("error");
    write_string(w, error);
    w.Key("message");
    write_string(w, message);
    w.Key("details");
    write_field_errors(w, details);
    w.Key("request_id");
    write_string(w, request_id);
    w.EndObject();
    response_content_type = "application/json";
    response_body.assign(buf.GetString(), buf.GetSize());
}

}  // namespace memolib::core
