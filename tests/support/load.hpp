// Load for the fault tests: client threads posting unique messages (website forms or Twilio
// SMS) and recording every answer, and the check of those answers against the rows the
// database really holds.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/database.hpp"
#include "support/http_client.hpp"

namespace memolib::test {

/// A form message whose stored text ends with " TAG", so that a row leads back to its request.
std::string tagged_form_json(const std::string& tag);
/// An unsigned Twilio SMS (urlencoded) whose MessageSid is "SM" + TAG and whose stored text
/// ends with " TAG": a provider that never retries and is answered empty TwiML.
std::string tagged_twilio_sms(const std::string& tag);
/// The tag of a stored message text: what follows its last space.
std::string tag_of_text(const std::string& text);

/// What a load posts: the website form to /webhooks/form, or a Twilio SMS to /webhooks/sms.
enum class LoadChannel { kForm, kTwilioSms };

/// The POST of one tagged message on `channel`.
HttpRequest tagged_request(LoadChannel channel, const std::string& tag, bool keep_alive);

/// What a gateway answered to a post of one message.
struct Answer {
    int status = 0;
    long long id = 0;         ///< messages[0].id, when the answer has one
    std::string checksum;     ///< messages[0].checksum, when the answer has one
    std::string outcome;      ///< messages[0].status of a 2xx, else the error's `error`
    std::string retry_after;  ///< the Retry-After header, "" when absent
    std::string body;         ///< the first 300 bytes, for messages
    std::chrono::milliseconds latency{0};
    std::chrono::steady_clock::time_point sent_at;      ///< when the request was sent
    std::chrono::steady_clock::time_point answered_at;  ///< when its answer was read

    bool success() const { return status / 100 == 2; }
};

Answer read_answer(const HttpResponse& response);

/// Posts tagged_request(channel, tag) on a new connection. Throws HttpError when the connection
/// is refused or lost before the answer.
Answer post_tagged(std::uint16_t port, const std::string& tag,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30),
                   LoadChannel channel = LoadChannel::kForm);

/// What the clients of a load saw, message by message.
struct LoadRecord {
    std::vector<std::string> sent;           ///< every tag a client tried to post
    std::map<std::string, Answer> answered;  ///< tag → the answer it got
    std::set<std::string> unanswered;        ///< refused, reset or timed out: no answer
    std::map<int, int> statuses;             ///< status → count

    std::size_t successes() const;
};

/// `clients` threads posting unique messages to one gateway until stop() (or, when
/// `stop_when_refused`, until their connect is refused: the gateway is gone).
class FormLoad {
public:
    struct Options {
        std::uint16_t port = 0;
        int clients = 8;
        /// Even-numbered clients keep their connection alive; odd ones open one per request.
        bool keep_alive = true;
        bool stop_when_refused = false;
        std::string tag_prefix = "load";
        std::chrono::milliseconds timeout{30000};
        LoadChannel channel = LoadChannel::kForm;
        /// Each client's pause after an answer: a steady rate rather than a flood.
        std::chrono::milliseconds interval{0};
    };

    explicit FormLoad(Options options);
    ~FormLoad();
    FormLoad(const FormLoad&) = delete;
    FormLoad& operator=(const FormLoad&) = delete;

    /// Asks every client to stop after its current request and waits for them.
    void stop();
    /// Waits for the clients to stop by themselves (stop_when_refused), at most `timeout`;
    /// false when some still ran (they are then stopped).
    bool wait_until_done(std::chrono::milliseconds timeout);
    /// A copy of what was recorded so far.
    LoadRecord snapshot() const;
    /// The 2xx answers so far.
    std::size_t successes() const;
    /// Waits until `wanted` 2xx answers came, at most `bound`; false when they did not.
    bool wait_for_successes(std::size_t wanted, std::chrono::milliseconds bound) const;

private:
    void run_client(int client);

    Options options_;
    std::atomic<bool> stop_{false};
    std::atomic<int> running_{0};
    mutable std::mutex mutex_;
    LoadRecord record_;
    std::vector<std::thread> threads_;
};

/// The ids of the rows of `messages`, by the tag of their text.
std::map<std::string, std::vector<long long>> rows_by_tag(Database& database);

/// The exactly-once contract against the database: every 2xx of `record` is one row with the
/// id it was answered with, no tag has two rows, and every row is a message that was sent.
/// Returns the problems (the first `limit` of each kind); empty when it holds.
std::vector<std::string> check_stored_once(
    const LoadRecord& record, const std::map<std::string, std::vector<long long>>& rows,
    std::size_t limit = 10);

}  // namespace memolib::test
