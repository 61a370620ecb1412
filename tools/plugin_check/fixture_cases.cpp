#include "fixture_cases.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace memolib::tools {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSuffix = ".case.json";

std::string read_all(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path.string());
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Strings as they are; numbers and booleans as JSON writes them, so a config can say 25h or 5.
std::string scalar_text(const rapidjson::Value& v, const std::string& where) {
    if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
    if (v.IsBool()) return v.GetBool() ? "true" : "false";
    if (v.IsInt64()) return std::to_string(v.GetInt64());
    if (v.IsUint64()) return std::to_string(v.GetUint64());
    throw std::runtime_error(where + ": expected a string, a number or a boolean");
}

std::vector<std::pair<std::string, std::string>> string_pairs(const rapidjson::Value& object,
                                                              const std::string& where) {
    if (!object.IsObject()) throw std::runtime_error(where + ": expected an object");
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& m : object.GetObject()) {
        const std::string key(m.name.GetString(), m.name.GetStringLength());
        out.emplace_back(key, scalar_text(m.value, std::string(where).append(".").append(key)));
    }
    return out;
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
    auto it = object.FindMember(name);
    return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string string_or(const rapidjson::Value& object, const char* name, const std::string& where,
                      std::string fallback = {}) {
    const rapidjson::Value* v = member(object, name);
    if (v == nullptr) return fallback;
    if (!v->IsString()) throw std::runtime_error(where + "." + name + ": expected a string");
    return std::string(v->GetString(), v->GetStringLength());
}

void read_request(const rapidjson::Value& request, const fs::path& dir, FixtureCase& out) {
    if (!request.IsObject()) throw std::runtime_error("request: expected an object");
    out.method = string_or(request, "method", "request", "POST");
    out.query = string_or(request, "query", "request");
    out.content_type = string_or(request, "content_type", "request");
    out.public_url = string_or(request, "public_url", "request");
    if (const auto* h = member(request, "headers"))
        out.headers = string_pairs(*h, "request.headers");
    if (const auto* t = member(request, "received_at_ms")) {
        if (!t->IsInt64()) throw std::runtime_error("request.received_at_ms: expected an integer");
        out.received_at_ms = t->GetInt64();
    }
    const rapidjson::Value* body = member(request, "body");
    const rapidjson::Value* body_file = member(request, "body_file");
    if (body != nullptr && body_file != nullptr) {
        throw std::runtime_error("request: give body or body_file, not both");
    }
    if (body != nullptr) out.body = string_or(request, "body", "request");
    if (body_file != nullptr) out.body = read_all(dir / string_or(request, "body_file", "request"));
}

void read_expect(const rapidjson::Value& expect, FixtureCase& out) {
    if (!expect.IsObject()) throw std::runtime_error("expect: expected an object");
    const rapidjson::Value* status = member(expect, "status");
    if (status == nullptr || !status->IsInt()) {
        throw std::runtime_error("expect.status: required, an HTTP status such as 200 or 400");
    }
    out.expect_status = status->GetInt();
    if (const auto* messages = member(expect, "messages")) {
        if (!messages->IsArray()) throw std::runtime_error("expect.messages: expected an array");
        std::vector<ExpectedMessage> list;
        for (const auto& m : messages->GetArray()) {
            list.push_back({string_pairs(m, "expect.messages[]")});
        }
        out.expect_messages = std::move(list);
    }
    if (const auto* answer = member(expect, "answer")) {
        if (!answer->IsObject()) throw std::runtime_error("expect.answer: expected an object");
        FixtureCase::ExpectedAnswer a;
        const rapidjson::Value* s = member(*answer, "status");
        if (s == nullptr || !s->IsInt()) {
            throw std::runtime_error(
                "expect.answer.status: required, the plugin's status (0: the host's answer)");
        }
        a.status = s->GetInt();
        if (member(*answer, "content_type") != nullptr)
            a.content_type = string_or(*answer, "content_type", "expect.answer");
        if (member(*answer, "body") != nullptr)
            a.body = string_or(*answer, "body", "expect.answer");
        out.expect_answer = std::move(a);
    }
    if (const auto* errors = member(expect, "errors")) {
        if (!errors->IsArray()) throw std::runtime_error("expect.errors: expected an array");
        for (const auto& e : errors->GetArray()) {
            if (!e.IsObject()) throw std::runtime_error("expect.errors[]: expected an object");
            out.expect_errors.emplace_back(string_or(e, "field", "expect.errors[]"),
                                           string_or(e, "code", "expect.errors[]"));
        }
    }
}

FixtureCase read_case(const fs::path& path) {
    FixtureCase out;
    out.file = path.string();
    const std::string file_name = path.filename().string();
    out.name = file_name.substr(0, file_name.size() - kSuffix.size());
    const std::string text = read_all(path);
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    if (doc.HasParseError()) {
        throw std::runtime_error(std::string("not JSON at offset ") +
                                 std::to_string(doc.GetErrorOffset()) + ": " +
                                 rapidjson::GetParseError_En(doc.GetParseError()));
    }
    if (!doc.IsObject()) throw std::runtime_error("expected a JSON object");
    out.description = string_or(doc, "description", "");
    out.channel = string_or(doc, "channel", "");
    if (const auto* config = member(doc, "config")) out.config = string_pairs(*config, "config");
    const rapidjson::Value* request = member(doc, "request");
    if (request == nullptr) throw std::runtime_error("request: required");
    read_request(*request, path.parent_path(), out);
    const rapidjson::Value* expect = member(doc, "expect");
    if (expect == nullptr) throw std::runtime_error("expect: required");
    read_expect(*expect, out);
    return out;
}

}  // namespace

std::vector<FixtureCase> read_fixture_cases(const std::string& directory) {
    std::error_code ec;
    if (!fs::is_directory(directory, ec)) {
        throw std::runtime_error(directory + ": not a directory");
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(directory)) {
        const std::string name = entry.path().filename().string();
        if (name.size() > kSuffix.size() &&
            name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    std::vector<FixtureCase> out;
    for (const fs::path& f : files) {
        try {
            out.push_back(read_case(f));
        } catch (const std::exception& e) {
            throw std::runtime_error(f.string() + ": " + e.what());
        }
    }
    return out;
}

}  // namespace memolib::tools
