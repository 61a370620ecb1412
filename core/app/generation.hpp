#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/gateway.hpp"
#include "http/compression.hpp"
#include "observability/dashboard_stats.hpp"
#include "pipeline/pipeline.hpp"
#include "stages/stage_factory.hpp"

namespace memolib::core {

/// One loaded configuration and everything built from it. A request takes the current one
/// when its headers arrive and keeps it (Exchange::generation) until its answer is written,
/// so a reload never changes the rules under a request in flight.
struct Generation {
    std::uint64_t number = 0;
    std::unique_ptr<LoadedGateway> gateway;
    std::unique_ptr<const Pipeline> pipeline;
    std::map<std::string, std::shared_ptr<const Channel>> channels;
    CompressionSettings compression;
    AlertThresholds alerts;
    std::string admin_token;

    const GatewayConfig& config() const { return gateway->config; }
    std::vector<std::string> channel_names() const;
};

/// Builds the pipeline and settings of `gateway` over `services`.
std::shared_ptr<const Generation> make_generation(std::unique_ptr<LoadedGateway> gateway,
                                                  const StageContext& services,
                                                  std::uint64_t number);

/// The settings that differ between two configs but only take effect at a restart (the
/// listener, storage, the shared caches and the rate-limit backend), as dotted key paths.
std::vector<std::string> restart_required(const GatewayConfig& running,
                                          const GatewayConfig& loaded);

}  // namespace memolib::core
