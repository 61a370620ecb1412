// JSON checks shared by the end-to-end tests (RapidJSON, header-only).
#pragma once

#include <string>

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include "support/http_client.hpp"

namespace memolib::test {

/// Parses `text`; a failed BOOST_REQUIRE (with the text) when it is not JSON.
inline rapidjson::Document parse_json(const std::string& text) {
    rapidjson::Document document;
    document.Parse(text.c_str(), text.size());
    BOOST_REQUIRE_MESSAGE(!document.HasParseError(), "not JSON: " << text.substr(0, 500));
    return document;
}

inline std::string string_member(const rapidjson::Value& object, const char* name) {
    if (!object.IsObject()) {
        return {};
    }
    const auto it = object.FindMember(name);
    return it != object.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
}

/// Checks DESIGN.md's error shape: a JSON object `{error, message, details[], request_id}`
/// with the expected status and typed reason, and the X-Request-Id header matching
/// request_id. Returns the parsed body for further checks.
inline rapidjson::Document check_error(const HttpResponse& response, int status,
                                       const std::string& error) {
    BOOST_TEST_CONTEXT("answer " << response.status << " " << response.body.substr(0, 500)) {
        BOOST_TEST(response.status == status);
        const auto content_type = response.header("Content-Type").value_or("");
        BOOST_TEST(content_type.rfind("application/json", 0) == 0,
                   "Content-Type is '" << content_type << "'");
        auto body = parse_json(response.body);
        BOOST_REQUIRE(body.IsObject());
        BOOST_TEST(string_member(body, "error") == error);
        BOOST_TEST(body.HasMember("message"));
        BOOST_TEST((body.HasMember("message") && body["message"].IsString() &&
                    body["message"].GetStringLength() > 0),
                   "message is a non-empty string");
        BOOST_TEST((body.HasMember("details") && body["details"].IsArray()), "details is an array");
        const std::string request_id = string_member(body, "request_id");
        BOOST_TEST(!request_id.empty(), "request_id is a non-empty string");
        BOOST_TEST(response.header("X-Request-Id").value_or("") == request_id);
        return body;
    }
    return rapidjson::Document();
}

/// The id of the first message an answer names (messages[0].id), 0 when it names none.
inline long long first_message_id(const HttpResponse& response) {
    const auto body = parse_json(response.body);
    if (!body.IsObject() || !body.HasMember("messages") || !body["messages"].IsArray() ||
        body["messages"].Empty() || !body["messages"][0].IsObject() ||
        !body["messages"][0].HasMember("id") || !body["messages"][0]["id"].IsInt64()) {
        return 0;
    }
    return body["messages"][0]["id"].GetInt64();
}

/// Checks a provider's answer to its re-delivery of a stored message (DESIGN.md, "The
/// promise"): 200 JSON `status: duplicate` naming the first row, `first_id`, in messages[0].
/// Returns the parsed body for further checks.
inline rapidjson::Document check_duplicate(const HttpResponse& response, long long first_id) {
    BOOST_TEST_CONTEXT("answer " << response.status << " " << response.body.substr(0, 500)) {
        BOOST_TEST(response.status == 200);
        const auto content_type = response.header("Content-Type").value_or("");
        BOOST_TEST(content_type.rfind("application/json", 0) == 0,
                   "Content-Type is '" << content_type << "'");
        auto body = parse_json(response.body);
        BOOST_REQUIRE(body.IsObject());
        BOOST_TEST(string_member(body, "status") == "duplicate");
        BOOST_TEST(!body.HasMember("error"));
        BOOST_REQUIRE(body.HasMember("messages") && body["messages"].IsArray() &&
                      !body["messages"].Empty());
        BOOST_TEST(body["messages"][0]["id"].GetInt64() == first_id);
        BOOST_TEST(string_member(body["messages"][0], "status") == "duplicate");
        BOOST_TEST(response.header("X-Request-Id").value_or("") ==
                   string_member(body, "request_id"));
        return body;
    }
    return rapidjson::Document();
}

/// What Twilio expects for every success, a new message or a re-delivery: empty TwiML.
constexpr const char* kEmptyTwiml = R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)";

/// Checks Twilio's success answer: 200, `text/xml`, empty TwiML.
inline void check_twiml(const HttpResponse& response) {
    BOOST_TEST_CONTEXT("answer " << response.status << " " << response.body.substr(0, 500)) {
        BOOST_TEST(response.status == 200);
        const auto content_type = response.header("Content-Type").value_or("");
        BOOST_TEST(content_type.rfind("text/xml", 0) == 0,
                   "Content-Type is '" << content_type << "'");
        BOOST_TEST(response.body == kEmptyTwiml);
        BOOST_TEST(!response.header("X-Request-Id").value_or("").empty());
    }
}

}  // namespace memolib::test
