#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "plugins/plugin_registry.hpp"
#include "plugins/request_view.hpp"
#include "stages/stages.hpp"

namespace memolib::core {

namespace {

// Asks the channel's plugin to check the provider's signature; `verify: report` lets a
// failing request through (and logs it) so a new secret can be rolled out safely.
// Signatures that do not cover the body (Mailgun's) are made single-use through the nonce
// store (memolib_host_t::claim_nonce); a dry run claims nothing. A request verify accepts
// under `enforce` on a channel whose plugin configuration sets a secret (a key its schema
// marks `secret: true`) may be authentic (Exchange::authenticated); parse, if it must refuse
// it, checks that a secret admitted it and quarantines it instead.
class VerifyStage final : public Stage {
public:
    explicit VerifyStage(NonceStore* nonces) : nonces_(nonces) {}
    const char* name() const override { return "verify"; }

    StageResult process(Exchange& ex, const Resume&) const override {
        const std::string& mode = ex.channel->config.verify_mode;
        // Verified on arrival; its nonce, seen then, would refuse it now.
        if (mode == "off" || ex.reprocess_quarantine_id != 0) return StageResult::kContinue;
        PluginCallResult result;
        const NonceScope nonces{nonces_, ex.channel->config.name, ex.body};
        if (!ex.dry_run) result.nonces = &nonces;
        memolib_status_t status = ex.channel->instance->verify(plugin_request(ex), result);
        if (status == MEMOLIB_OK) {
            ex.authenticated = mode == "enforce" && ex.channel->instance->holds_secret();
            return StageResult::kContinue;
        }
        if (status == MEMOLIB_UNAUTHORIZED) {
            metrics().add("memolib_verification_failures_total",
                          {{"channel", ex.channel->config.name}, {"mode", mode}});
            if (mode == "report") {
                log().warn("verification_failed_reported",
                           {{"request_id", ex.request_id}, {"channel", ex.channel->config.name}});
                ex.authenticity = Authenticity::kFailed;
                return StageResult::kContinue;
            }
            ex.fail(401, "verification_failed",
                    "the provider signature or token is missing or wrong", result.errors);
            return StageResult::kRespond;
        }
        ex.fail(500, "plugin_error", "the channel plugin failed to verify the request",
                result.errors);
        return StageResult::kRespond;
    }

private:
    NonceStore* nonces_;
};

}  // namespace

std::unique_ptr<Stage> VerifyFactory::make(const ConfigValue&, const StageContext& context) const {
    return std::make_unique<VerifyStage>(context.nonces);
}

}  // namespace memolib::core
