// A plugin that breaks one conformance rule, chosen at build time, so that the tests can show
// memolib-plugin-check failing on it: MISBEHAVE_CRASH dereferences NULL on a truncated JSON body,
// MISBEHAVE_NONDETERMINISTIC numbers its messages from a counter, MISBEHAVE_RACY shares one
// buffer between concurrent parses. Everything else about it is correct.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "memolib/sdk/adapter.hpp"

namespace {

namespace sdk = memolib::sdk;

class MisbehavingAdapter final : public sdk::Adapter {
public:
    explicit MisbehavingAdapter(const sdk::Config&) {}

    static const sdk::PluginInfo& info() {
        static constexpr const char* kProviders[] = {"test", nullptr};
        static constexpr const char* kTypes[] = {"application/json", nullptr};
        static const sdk::PluginInfo kInfo{MISBEHAVE_NAME,
                                           "1.0.0",
                                           "A plugin that breaks one rule of memolib-plugin-check",
                                           "alpha",
                                           kProviders,
                                           kTypes,
                                           65536,
                                           100,
                                           3600000,
                                           ""};
        return kInfo;
    }

    sdk::Status parse(const sdk::Request& request, const sdk::Host& host) const override {
        const std::string body(request.body());
        if (body.empty()) {
            host.error("body", "required", "the body is empty");
            return sdk::Status::kInvalid;
        }
        sdk::Message m;
        m.provider = "test";
        m.text = body;
#if defined(MISBEHAVE_CRASH)
        if (body.front() == '{' && body.back() != '}') {
            const char* volatile closing = nullptr;
            m.text += *closing;
        }
#elif defined(MISBEHAVE_NONDETERMINISTIC)
        m.external_id = "msg-" + std::to_string(++counter_);
#elif defined(MISBEHAVE_RACY)
        {
            std::lock_guard<std::mutex> lock(mutex_);
            last_body_ = body;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        {
            std::lock_guard<std::mutex> lock(mutex_);
            m.text = last_body_;
        }
#endif
        // Bytes that are not UTF-8 are the host's to refuse; keep the text printable ASCII.
        for (char& c : m.text) {
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
                c = '?';
            }
        }
        return host.emit(m) ? sdk::Status::kOk : sdk::Status::kInvalid;
    }

private:
    mutable std::atomic<long> counter_{0};
    mutable std::mutex mutex_;
    mutable std::string last_body_;
};

}  // namespace

MEMOLIB_PLUGIN(MisbehavingAdapter)
