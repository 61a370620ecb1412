#include "app/request_observer.hpp"

#include <chrono>

#include "http/compression.hpp"
#include "observability/dashboard_stats.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"

namespace memolib::core {

namespace {

// Judged on the body as it is before compression: caches must not hand a gzip answer to a
// client that did not ask for one, nor a plain one to a client that did.
void compress(Exchange& ex, const CompressionSettings& compression) {
    if (ex.response_body.size() >= compression.min_bytes) {
        ex.response_headers.emplace_back("Vary", "Accept-Encoding");
    }
    const std::string* accept = ex.header("Accept-Encoding");
    if (accept != nullptr && accepts_gzip(*accept)) {
        if (auto gz = gzip_if_worth_it(ex.response_body, compression)) {
            ex.response_body = std::move(*gz);
            ex.response_headers.emplace_back("Content-Encoding", "gzip");
        }
    }
}

// Counts every answer by channel, status and typed reason, and what it did to the messages.
void record_metrics(const Exchange& ex, double seconds) {
    const std::string channel = ex.channel ? ex.channel->config.name : std::string();
    if (ex.dry_run) {
        // Outside the channel's figures: a developer trying payloads is not traffic.
        metrics().add(
            "memolib_dry_runs_total",
            {{"channel", channel}, {"status", std::to_string(ex.status)}, {"reason", ex.reason}});
        return;
    }
    metrics().add(
        "memolib_requests_total",
        {{"channel", channel}, {"status", std::to_string(ex.status)}, {"reason", ex.reason}});
    if (!ex.channel) return;
    metrics().observe("memolib_request_duration_seconds", {{"channel", channel}}, seconds);
    if (ex.reason == "rate_limited")
        metrics().add("memolib_rate_limited_total", {{"channel", channel}});
    if (ex.replayed || (ex.status >= 300 && ex.status != 409)) return;
    double stored = 0;
    double duplicates = 0;
    double spooled = 0;
    for (const NormalizedMessage& m : ex.messages) {
        stored += m.status == NormalizedMessage::Status::kStored ? 1 : 0;
        duplicates += m.status == NormalizedMessage::Status::kDuplicate ? 1 : 0;
        spooled += m.status == NormalizedMessage::Status::kSpooled ? 1 : 0;
    }
    if (spooled > 0)
        metrics().add("memolib_messages_spooled_total", {{"channel", channel}}, spooled);
    if (stored > 0) metrics().add("memolib_messages_stored_total", {{"channel", channel}}, stored);
    if (duplicates > 0)
        metrics().add("memolib_duplicates_total", {{"channel", channel}}, duplicates);
}

void log_request(const Exchange& ex, double latency_ms) {
    const std::string& provider =
        ex.messages.empty() ? ex.replay_provider : ex.messages.front().provider;
    const std::string& sender =
        ex.messages.empty() ? ex.replay_sender_masked : ex.messages.front().sender_masked;
    log().info("request", {{"request_id", ex.request_id},
                           {"method", ex.method},
                           {"path", ex.path},
                           {"channel", ex.channel ? ex.channel->config.name : std::string()},
                           {"provider", provider},
                           {"status", ex.status},
                           {"reason", ex.reason},
                           {"latency_ms", latency_ms},
                           {"messages", ex.messages.size()},
                           {"dry_run", ex.dry_run ? "true" : "false"},
                           {"sender_masked", sender}});
}

}  // namespace

void RequestObserver::completed(Exchange& ex, const CompressionSettings& compression) const {
    compress(ex, compression);
    const double latency_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ex.started)
            .count();
    record_metrics(ex, latency_ms / 1000.0);
    if (stats_ != nullptr && ex.channel && !ex.dry_run) {
        RequestOutcome outcome;
        outcome.status = ex.status;
        outcome.duplicate = ex.reason == "duplicate" || ex.replayed;
        outcome.cache_checked = ex.cache_checked;
        outcome.cache_hit = ex.replayed;
        outcome.latency_ms = latency_ms;
        stats_->record(ex.channel->config.name, outcome);
    }
    log_request(ex, latency_ms);
}

}  // namespace memolib::core
