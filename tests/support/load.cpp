#include "support/load.hpp"

#include <memory>
#include <thread>
#include <utility>

#include <rapidjson/document.h>

#include "support/temp_dir.hpp"

namespace memolib::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string member_text(const rapidjson::Value& object, const char* name) {
    if (!object.IsObject()) return {};
    const auto it = object.FindMember(name);
    return it != object.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
}

}  // namespace

HttpRequest tagged_request(LoadChannel channel, const std::string& tag, bool keep_alive) {
    HttpRequest request;
    request.method = "POST";
    if (channel == LoadChannel::kTwilioSms) {
        request.target = "/webhooks/sms";
        request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
        request.body = tagged_twilio_sms(tag);
    } else {
        request.target = "/webhooks/form";
        request.headers = {{"Content-Type", "application/json"}};
        request.body = tagged_form_json(tag);
    }
    if (keep_alive) request.headers.emplace_back("Connection", "keep-alive");
    return request;
}

std::string tagged_form_json(const std::string& tag) {
    return R"({"name":"Fault Test","email":"fault.)" + tag +
           R"(@example.org","subject":"Faults","message":"message )" + tag + R"("})";
}

std::string tagged_twilio_sms(const std::string& tag) {
    // Tags hold letters, digits and '-' only: nothing to percent-encode.
    return "ToCountry=US&SmsMessageSid=SM" + tag + "&NumMedia=0&SmsStatus=received&Body=message+" +
           tag + "&FromCountry=US&To=%2B12345678901&NumSegments=1&MessageSid=SM" + tag +
           "&AccountSid=AC0000000000000000000000000000001&From=%2B11234567890&ApiVersion=2010-04-"
           "01";
}

std::string tag_of_text(const std::string& text) {
    const auto space = text.rfind(' ');
    return space == std::string::npos ? text : text.substr(space + 1);
}

Answer read_answer(const HttpResponse& response) {
    Answer answer;
    answer.status = response.status;
    answer.retry_after = response.header("Retry-After").value_or("");
    answer.body = response.body.substr(0, 300);
    rapidjson::Document json;
    json.Parse(response.body.c_str(), response.body.size());
    if (json.HasParseError() || !json.IsObject()) return answer;
    const auto messages = json.FindMember("messages");
    if (messages != json.MemberEnd() && messages->value.IsArray() && messages->value.Size() == 1U &&
        messages->value[0].IsObject()) {
        const auto& message = messages->value[0];
        const auto id = message.FindMember("id");
        if (id != message.MemberEnd() && id->value.IsInt64()) answer.id = id->value.GetInt64();
        answer.checksum = member_text(message, "checksum");
        answer.outcome = member_text(message, "status");
    }
    if (!answer.success()) answer.outcome = member_text(json, "error");
    return answer;
}

Answer post_tagged(std::uint16_t port, const std::string& tag, std::chrono::milliseconds timeout,
                   LoadChannel channel) {
    const auto started = Clock::now();
    const HttpRequest request = tagged_request(channel, tag, false);
    Answer answer = read_answer(http_request(port, request, timeout));
    answer.sent_at = started;
    answer.answered_at = Clock::now();
    answer.latency =
        std::chrono::duration_cast<std::chrono::milliseconds>(answer.answered_at - started);
    return answer;
}

std::size_t LoadRecord::successes() const {
    std::size_t n = 0;
    for (const auto& [tag, answer] : answered) n += answer.success() ? 1U : 0U;
    return n;
}

FormLoad::FormLoad(Options options) : options_(std::move(options)) {
    running_ = options_.clients;
    threads_.reserve(static_cast<std::size_t>(options_.clients));
    for (int c = 0; c < options_.clients; ++c) threads_.emplace_back([this, c] { run_client(c); });
}

FormLoad::~FormLoad() { stop(); }

void FormLoad::stop() {
    stop_ = true;
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
}

bool FormLoad::wait_until_done(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (running_.load() > 0 && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const bool done = running_.load() == 0;
    stop();
    return done;
}

LoadRecord FormLoad::snapshot() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return record_;
}

std::size_t FormLoad::successes() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return record_.successes();
}

bool FormLoad::wait_for_successes(std::size_t wanted, std::chrono::milliseconds bound) const {
    const auto until = Clock::now() + bound;
    while (successes() < wanted && Clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return successes() >= wanted;
}

void FormLoad::run_client(int client) {
    const bool keep_alive = options_.keep_alive && client % 2 == 0;
    std::unique_ptr<HttpConnection> connection;
    for (int i = 0; !stop_.load(); ++i) {
        const std::string tag = options_.tag_prefix + "-" + std::to_string(client) + "-" +
                                std::to_string(i) + "-" + random_hex(8);
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            record_.sent.push_back(tag);
        }
        const HttpRequest request = tagged_request(options_.channel, tag, keep_alive);
        const auto started = Clock::now();
        bool refused = false;
        HttpResponse response;
        try {
            if (!connection) {
                try {
                    connection = std::make_unique<HttpConnection>(options_.port, options_.timeout);
                } catch (const HttpError&) {
                    refused = true;
                    throw;
                }
            }
            connection->send_all(serialize_head(request) + request.body);
            response = connection->read_response();
        } catch (const HttpError&) {
            connection.reset();
            {
                const std::lock_guard<std::mutex> lock(mutex_);
                record_.unanswered.insert(tag);
            }
            if (refused && options_.stop_when_refused) break;
            if (refused) std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        if (!keep_alive || response.header("Connection").value_or("") == "close") {
            connection.reset();
        }
        Answer answer = read_answer(response);
        answer.sent_at = started;
        answer.answered_at = Clock::now();
        answer.latency =
            std::chrono::duration_cast<std::chrono::milliseconds>(answer.answered_at - started);
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            ++record_.statuses[answer.status];
            record_.answered[tag] = std::move(answer);
        }
        if (options_.interval.count() > 0) std::this_thread::sleep_for(options_.interval);
    }
    --running_;
}

std::map<std::string, std::vector<long long>> rows_by_tag(Database& database) {
    std::map<std::string, std::vector<long long>> rows;
    for (const Row& row : database.query("SELECT id, text FROM messages")) {
        rows[tag_of_text(row.at("text").value_or(""))].push_back(
            std::stoll(row.at("id").value_or("0")));
    }
    return rows;
}

std::vector<std::string> check_stored_once(
    const LoadRecord& record, const std::map<std::string, std::vector<long long>>& rows,
    std::size_t limit) {
    std::vector<std::string> problems;
    std::size_t missing = 0;
    for (const auto& [tag, answer] : record.answered) {
        if (!answer.success()) continue;
        const auto it = rows.find(tag);
        const std::size_t count = it == rows.end() ? 0U : it->second.size();
        if (count != 1U) {
            if (++missing <= limit) {
                problems.push_back("message " + tag + " was answered " +
                                   std::to_string(answer.status) + " (id " +
                                   std::to_string(answer.id) + ") but is stored " +
                                   std::to_string(count) + " times");
            }
        } else if (answer.id != 0 && it->second.front() != answer.id) {
            if (++missing <= limit) {
                problems.push_back("message " + tag + " was answered with id " +
                                   std::to_string(answer.id) + " but its row has id " +
                                   std::to_string(it->second.front()));
            }
        }
    }
    if (missing > limit) {
        problems.push_back(std::to_string(missing) +
                           " answered messages in all are not stored once");
    }
    const std::set<std::string> sent(record.sent.begin(), record.sent.end());
    std::size_t wrong = 0;
    for (const auto& [tag, ids] : rows) {
        if (ids.size() != 1U && ++wrong <= limit) {
            problems.push_back("message " + tag + " is stored " + std::to_string(ids.size()) +
                               " times");
        }
        if (sent.count(tag) == 0U && ++wrong <= limit) {
            problems.push_back("row " + tag + " is no message the clients sent");
        }
    }
    if (wrong > limit) {
        problems.push_back(std::to_string(wrong) + " rows in all are doubled or unknown");
    }
    return problems;
}

}  // namespace memolib::test
