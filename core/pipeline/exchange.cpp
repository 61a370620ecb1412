#include "pipeline/exchange.hpp"

#include <boost/beast/core/string.hpp>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

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

void write_string(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

void Exchange::fail(int http_status, std::string_view error, std::string_view message,
                    const std::vector<FieldError>& details) {
    status = http_status;
    reason = std::string(error);
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("error");
    write_string(w, error);
    w.Key("message");
    write_string(w, message);
    w.Key("details");
    w.StartArray();
    for (const FieldError& d : details) {
        w.StartObject();
        w.Key("field");
        write_string(w, d.field);
        w.Key("code");
        write_string(w, d.code);
        w.Key("message");
        write_string(w, d.message);
        w.EndObject();
    }
    w.EndArray();
    w.Key("request_id");
    write_string(w, request_id);
    w.EndObject();
    response_content_type = "application/json";
    response_body.assign(buf.GetString(), buf.GetSize());
}

}  // namespace memolib::core
