#include "app/dry_run_command.hpp"

#include <cstdio>
#include <fstream>
#include <iterator>

#include "app/gateway.hpp"
#include "app/generation.hpp"
#include "app/router.hpp"
#include "stages/stage_state.hpp"
#include "storage/batch_writer.hpp"
#include "util/time_format.hpp"

namespace memolib::core {

namespace {

// What a provider would send for the usual fixture file types; multipart needs its boundary,
// so it must be given with --content-type.
std::string guess_content_type(const std::string& file) {
    auto ends_with = [&](const char* suffix) {
        const std::string s(suffix);
        return file.size() >= s.size() && file.compare(file.size() - s.size(), s.size(), s) == 0;
    };
    if (ends_with(".json")) return "application/json";
    if (ends_with(".eml")) return "message/rfc822";
    if (ends_with(".urlencoded") || ends_with(".form")) return "application/x-www-form-urlencoded";
    return "";
}

}  // namespace

int dry_run(const std::string& config_path, const std::string& channel, const std::string& file,
            const std::string& content_type, const std::vector<std::string>& headers) {
    std::vector<std::string> errors;
    auto gateway = load_gateway(config_path, errors);
    if (!gateway) {
        for (const std::string& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
        return 1;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", file.c_str());
        return 1;
    }
    auto ex = std::make_shared<Exchange>();
    ex->body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    ex->method = "POST";
    ex->path = "/webhooks/" + channel;
    ex->query = "dry_run=1";
    ex->target = ex->path + "?" + ex->query;
    ex->remote_address = "127.0.0.1";
    ex->request_id = "dry-run";
    ex->received_at_ms = now_ms();
    ex->content_length = ex->body.size();
    ex->content_type = content_type.empty() ? guess_content_type(file) : content_type;
    if (!ex->content_type.empty()) ex->headers.emplace_back("Content-Type", ex->content_type);
    ex->headers.emplace_back("Host", "localhost");
    for (const std::string& h : headers) {
        const std::size_t colon = h.find(':');
        if (colon == std::string::npos) {
            std::fprintf(stderr, "a header is 'Name: value', got '%s'\n", h.c_str());
            return 1;
        }
        std::size_t start = h.find_first_not_of(' ', colon + 1);
        ex->headers.emplace_back(h.substr(0, colon),
                                 start == std::string::npos ? "" : h.substr(start));
    }

    // Offline: a writer that is never started (a dry run stores nothing) and an in-memory
    // rate limiter, so no database or Redis is needed.
    BatchWriter writer(gateway->config.storage, RetryPolicy{});
    StageState state;
    state.dedup_index = std::make_unique<DedupIndex>(0);
    state.replay_cache = std::make_unique<ReplayCache>(0, std::chrono::milliseconds(0));
    state.rate_limiter = make_memory_rate_limiter();
    Router handler(make_generation(std::move(gateway), StageContext{&writer, nullptr, &state}, 1),
                   nullptr, nullptr);
    if (handler.admit(*ex)) {
        bool done = false;
        handler.handle(ex, [&done] { done = true; });
        // Every stage answers at once in a dry run (memory limiter, no storage).
        if (!done) {
            std::fprintf(stderr, "the pipeline did not finish synchronously\n");
            return 1;
        }
    }
    std::fwrite(ex->response_body.data(), 1, ex->response_body.size(), stdout);
    std::fputc('\n', stdout);
    return ex->status == 200 ? 0 : 1;
}

}  // namespace memolib::core
