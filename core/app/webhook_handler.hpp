#pragma once

#include <map>
#include <memory>
#include <string>

#include "http/compression.hpp"
#include "http/server.hpp"
#include "pipeline/pipeline.hpp"

namespace memolib::core {

class BatchWriter;
struct LoadedGateway;

/// Routes requests: /webhooks/{channel} through the pipeline, plus /health, /ready, /version.
class WebhookHandler final : public HttpHandler {
public:
    WebhookHandler(const LoadedGateway& gateway, std::shared_ptr<const Pipeline> pipeline,
                   BatchWriter& writer);

    std::optional<std::uint64_t> admit(Exchange& ex) override;
    void handle(const std::shared_ptr<Exchange>& ex, std::function<void()> done) override;
    void completed(Exchange& ex) override;

private:
    std::optional<std::uint64_t> admit_webhook(Exchange& ex, const std::string& channel);
    void answer_success(Exchange& ex) const;
    void answer_json(Exchange& ex, int status, std::string body) const;

    const LoadedGateway& gateway_;
    std::shared_ptr<const Pipeline> pipeline_;
    BatchWriter& writer_;
    std::map<std::string, std::shared_ptr<const Channel>> channels_;
    CompressionSettings compression_;
};

}  // namespace memolib::core
