// Unit test of the Telegram plugin with the SDK's fake host: it loads telegram.so with dlopen,
// exactly as the gateway would, and drives its hooks with the fixtures. No test framework, so
// that the example needs nothing beyond the SDK: each failed check prints itself, and the exit
// status is the number of failures.
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "memolib/sdk/testing/fake_host.hpp"

namespace {

using memolib::sdk::Status;
using memolib::sdk::testing::FakeHost;
using memolib::sdk::testing::FakeInstance;
using memolib::sdk::testing::FakeRequest;
using memolib::sdk::testing::FakeResult;

int failures = 0;

#define CHECK(condition)                                                                       \
    do {                                                                                       \
        if (!(condition)) {                                                                    \
            ++failures;                                                                        \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
        }                                                                                      \
    } while (false)

constexpr const char* kSecret = "s3cr3t_token-42";
constexpr const char* kSecretHeader = "X-Telegram-Bot-Api-Secret-Token";

std::string fixture(const std::string& name) {
    return memolib::sdk::testing::read_file(std::string(TELEGRAM_FIXTURES) + "/" + name);
}

FakeRequest update(const std::string& body, const std::string& secret = kSecret) {
    FakeRequest r;
    r.path = "/webhooks/telegram";
    r.content_type = "application/json";
    r.body = body;
    if (!secret.empty()) r.headers.emplace_back(kSecretHeader, secret);
    return r;
}

void text_message_is_normalized(const FakeInstance& telegram) {
    const FakeResult r = telegram.parse(update(fixture("message_text.json")));
    CHECK(r.status == Status::kOk);
    CHECK(r.violations.empty());
    if (r.messages.size() != 1) {
        CHECK(r.messages.size() == 1);
        return;
    }
    const memolib::sdk::Message& m = r.messages[0];
    CHECK(m.provider == "telegram");
    CHECK(m.external_id == "1111111:1365");
    CHECK(m.sender == "telegram:1111111");
    CHECK(m.sender_name == "Test Firstname Test Lastname");
    CHECK(m.text == "/start");
    CHECK(m.provider_timestamp_ms == 1441645532000);
    CHECK(m.metadata_json == R"({"update_type":"message","update_id":10000,"chat_id":1111111,)"
                             R"("chat_type":"private","username":"Testusername"})");
}

void edit_is_its_own_version(const FakeInstance& telegram) {
    const FakeResult r = telegram.parse(update(fixture("edited_message.json")));
    CHECK(r.status == Status::kOk);
    CHECK(r.messages.size() == 1);
    if (r.messages.size() != 1) return;
    CHECK(r.messages[0].external_id == "1111111:1365:edit:1441646600");
    CHECK(r.messages[0].text == "Edited text");
    CHECK(r.messages[0].provider_timestamp_ms == 1441646600000);
}

void channel_post_speaks_for_the_channel(const FakeInstance& telegram) {
    const FakeResult r = telegram.parse(update(fixture("channel_post.json")));
    CHECK(r.status == Status::kOk);
    CHECK(r.messages.size() == 1);
    if (r.messages.size() != 1) return;
    CHECK(r.messages[0].external_id == "-1001234567890:42");
    CHECK(r.messages[0].sender == "telegram:-1001234567890");
    CHECK(r.messages[0].sender_name == "Cabinet Martin");
}

void document_becomes_a_descriptor_and_caption_the_text(const FakeInstance& telegram) {
    const FakeResult r = telegram.parse(update(fixture("group_document.json")));
    CHECK(r.status == Status::kOk);
    CHECK(r.messages.size() == 1);
    if (r.messages.size() != 1) return;
    const memolib::sdk::Message& m = r.messages[0];
    CHECK(m.text == "Voici le bail signé, urgent.");
    CHECK(m.attachments.size() == 1);
    if (m.attachments.size() != 1) return;
    CHECK(m.attachments[0].name == "bail.pdf");
    CHECK(m.attachments[0].content_type == "application/pdf");
    CHECK(m.attachments[0].size == 48213);
    CHECK(m.attachments[0].provider_id == "BQACAgQAAxkBAAIBbWVkb2N1bWVudF9maWxlX2lk");
}

void update_without_a_message_is_accepted_empty(const FakeInstance& telegram) {
    const FakeResult r = telegram.parse(update(fixture("callback_query.json")));
    CHECK(r.status == Status::kOk);
    CHECK(r.messages.empty());
    CHECK(r.errors.empty());
}

void secret_token_is_enforced(const FakeInstance& telegram) {
    CHECK(telegram.verify(update("{}")).status == Status::kOk);
    const FakeResult wrong = telegram.verify(update("{}", "s3cr3t_token-43"));
    CHECK(wrong.status == Status::kUnauthorized);
    CHECK(wrong.has_error(kSecretHeader, "bad_secret_token"));
    const FakeResult longer = telegram.verify(update("{}", std::string(kSecret) + "x"));
    CHECK(longer.status == Status::kUnauthorized);
    const FakeResult missing = telegram.verify(update("{}", ""));
    CHECK(missing.status == Status::kUnauthorized);
    CHECK(missing.has_error(kSecretHeader, "missing_secret_token"));
}

void bad_updates_name_the_field(const FakeInstance& telegram) {
    FakeResult r = telegram.parse(update(R"({"message": {"message_id": 1}})"));
    CHECK(r.status == Status::kInvalid);
    CHECK(r.has_error("update_id", "required"));
    r = telegram.parse(update(R"({"update_id": 1, "message": {"message_id": "x", "date": 1}})"));
    CHECK(r.status == Status::kInvalid);
    CHECK(r.has_error("message.message_id", "invalid_type"));
    CHECK(r.has_error("message.chat", "required"));
    r = telegram.parse(
        update(R"({"update_id": 1, "message": {"message_id": 1, "date": -5, "chat": {"id": 1}}})"));
    CHECK(r.has_error("message.date", "out_of_range"));
    r = telegram.parse(update("[1, 2]"));
    CHECK(r.status == Status::kInvalid);
    FakeRequest text = update("hello");
    text.content_type = "text/plain";
    CHECK(telegram.parse(text).status == Status::kUnsupportedMediaType);
}

void invalid_secret_token_config_is_refused(const FakeHost& host) {
    const FakeInstance refused = host.create("telegram", {{"secret_token", "has spaces"}});
    CHECK(!refused);
    CHECK(refused.creation().has_error("secret_token", "invalid_config"));
    const FakeInstance open = host.create("telegram");
    CHECK(static_cast<bool>(open));
    CHECK(!open.creation().logs.empty());
    if (open) CHECK(open.verify(update("{}", "")).status == Status::kOk);
}

void parse_is_thread_safe(const FakeInstance& telegram) {
    const std::string bodies[] = {fixture("message_text.json"), fixture("channel_post.json")};
    const std::string ids[] = {"1111111:1365", "-1001234567890:42"};
    std::vector<int> wrong(4, 0);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < wrong.size(); ++t) {
        threads.emplace_back([&, t] {
            for (std::size_t i = 0; i < 200; ++i) {
                const FakeResult r = telegram.parse(update(bodies[(t + i) % 2]));
                if (r.messages.size() != 1 || r.messages[0].external_id != ids[(t + i) % 2] ||
                    !r.violations.empty()) {
                    ++wrong[t];
                }
            }
        });
    }
    for (std::thread& th : threads) th.join();
    for (int w : wrong) CHECK(w == 0);
}

}  // namespace

int main() {
    try {
        FakeHost host(TELEGRAM_PLUGIN);
        FakeInstance telegram = host.create("telegram", {{"secret_token", kSecret}});
        if (!telegram) {
            std::fprintf(stderr, "the plugin refused its config: %s\n",
                         telegram.creation().describe().c_str());
            return 1;
        }
        text_message_is_normalized(telegram);
        edit_is_its_own_version(telegram);
        channel_post_speaks_for_the_channel(telegram);
        document_becomes_a_descriptor_and_caption_the_text(telegram);
        update_without_a_message_is_accepted_empty(telegram);
        secret_token_is_enforced(telegram);
        bad_updates_name_the_field(telegram);
        invalid_secret_token_config_is_refused(host);
        parse_is_thread_safe(telegram);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    std::printf("%s: %d failure(s)\n", failures == 0 ? "PASS" : "FAIL", failures);
    return failures == 0 ? 0 : 1;
}
