#include "observability/masking.hpp"
#include "plugins/plugin_registry.hpp"
#include "plugins/request_view.hpp"
#include "stages/stages.hpp"

namespace memolib::core {

namespace {

// Has the plugin validate and normalize the body into 0..N messages, then stamps each with
// what the core owns: channel, request id, arrival time and the masked sender.
class ParseStage final : public Stage {
public:
    const char* name() const override { return "parse"; }

    StageResult process(Exchange& ex, const Resume&) const override {
        PluginCallResult result;
        memolib_status_t status = ex.channel->instance->parse(plugin_request(ex), result);
        switch (status) {
            case MEMOLIB_OK:
                // Errors beside OK mean the host refused a message: answering 2xx would lose it.
                if (!result.errors.empty()) break;
                ex.messages = std::move(result.messages);
                for (NormalizedMessage& m : ex.messages) {
                    m.channel = ex.channel->config.name;
                    m.request_id = ex.request_id;
                    m.received_at_ms = ex.received_at_ms;
                    m.sender_masked = mask_sender(m.sender);
                }
                return StageResult::kContinue;
            case MEMOLIB_UNSUPPORTED_MEDIA_TYPE:
                ex.fail(415, "unsupported_media_type",
                        "channel '" + ex.channel->config.name + "' accepts " +
                            declared_media_types(ex.channel->instance->plugin()),
                        result.errors);
                return StageResult::kRespond;
            case MEMOLIB_INTERNAL_ERROR:
                ex.fail(500, "plugin_error", "the channel plugin failed to parse the request",
                        result.errors);
                return StageResult::kRespond;
            default:
                break;
        }
        ex.fail(400, "invalid_payload", "the payload does not validate", result.errors);
        return StageResult::kRespond;
    }
};

}  // namespace

std::unique_ptr<Stage> ParseFactory::make(const ConfigValue&, const StageContext&) const {
    return std::make_unique<ParseStage>();
}

}  // namespace memolib::core
