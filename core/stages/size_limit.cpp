#include "stages/stages.hpp"

namespace memolib::core {

namespace {

// Refuses an over-limit body from its Content-Length, before a byte of it is read; the server
// enforces the same limit while reading a body of unknown length (chunked).
class SizeLimitStage final : public Stage {
public:
    const char* name() const override { return "size_limit"; }

    StageResult on_headers(Exchange& ex) const override {
        if (ex.content_length && *ex.content_length > ex.channel->config.max_body) {
            reject(ex);
            return StageResult::kRespond;
        }
        return StageResult::kContinue;
    }

    StageResult process(Exchange& ex, const Resume&) const override {
        if (ex.body.size() > ex.channel->config.max_body) {
            reject(ex);
            return StageResult::kRespond;
        }
        return StageResult::kContinue;
    }

private:
    static void reject(Exchange& ex) {
        ex.fail(413, "payload_too_large",
                "the body is larger than the " + std::to_string(ex.channel->config.max_body) +
                    " bytes channel '" + ex.channel->config.name + "' accepts");
    }
};

}  // namespace

std::unique_ptr<Stage> SizeLimitFactory::make(const ConfigValue&, const StageContext&) const {
    return std::make_unique<SizeLimitStage>();
}

}  // namespace memolib::core
