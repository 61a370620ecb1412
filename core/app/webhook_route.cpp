#include "app/webhook_route.hpp"

#include "app/generation.hpp"
#include "app/webhook_answer.hpp"
#include "http/query_string.hpp"
#include "plugins/plugin_registry.hpp"
#include "plugins/request_view.hpp"
#include "util/utf8.hpp"

namespace memolib::core {

namespace {

// Answers a GET the plugin takes as a handshake; false when it does not take it as one.
bool answer_handshake(Exchange& ex) {
    PluginCallResult result;
    memolib_status_t status = ex.channel->instance->handshake(plugin_request(ex), result);
    if (status == MEMOLIB_OK && result.response_status &&
        (*result.response_status < 200 || *result.response_status > 599)) {
        // An interim (1xx) or out-of-range status would leave the client waiting for an
        // answer that never comes, or make the head unreadable.
        ex.fail(500, "plugin_error",
                "the plugin answered the handshake with status " +
                    std::to_string(*result.response_status));
    } else if (status == MEMOLIB_OK && result.response_status) {
        answer_from_plugin(ex, result);
    } else if (status == MEMOLIB_FORBIDDEN || status == MEMOLIB_UNAUTHORIZED) {
        ex.fail(403, "verification_failed", "the handshake was refused", result.errors);
    } else if (status != MEMOLIB_NOT_HANDLED) {
        ex.fail(400, "invalid_handshake", "the handshake request is not valid", result.errors);
    }
    return status != MEMOLIB_NOT_HANDLED;
}

// A media type the plugin did not declare is refused before the body is read: parse would
// refuse it anyway, and the client is spared sending the body. A request without one (a
// Vonage GET, an empty POST) is the plugin's to judge.
bool refuse_undeclared_media_type(Exchange& ex) {
    const LoadedPlugin& plugin = ex.channel->instance->plugin();
    if (ex.content_type.empty() || declares_media_type(plugin, ex.content_type)) return false;
    // Echoed only as readable text, and cut: it is the client's, not ours.
    std::string given = is_valid_utf8(ex.content_type) ? ex.content_type : "(not UTF-8)";
    cut_to_chars(given, 200);
    ex.fail(415, "unsupported_media_type",
            "channel '" + ex.channel->config.name + "' accepts " + declared_media_types(plugin),
            {{"content-type", "unsupported_media_type", "got '" + given + "'"}});
    return true;
}

}  // namespace

bool find_channel(Exchange& ex) {
    const auto& channels = ex.generation->channels;
    auto it = channels.find(ex.route_param);
    if (it == channels.end()) {
        ex.fail(404, "unknown_channel", "no channel named '" + ex.route_param + "' is configured");
        return false;
    }
    ex.channel = it->second;
    return true;
}

bool admit_webhook(Exchange& ex) {
    // A GET the plugin does not take as a handshake is a message in its query string (Vonage
    // sends inbound SMS that way): it goes through the pipeline like a POST.
    if (ex.method == "GET" && answer_handshake(ex)) return false;
    ex.dry_run = query_flag(ex.query, "dry_run");
    return ex.generation->pipeline->run_headers(ex) && !refuse_undeclared_media_type(ex);
}

void run_webhook(const std::shared_ptr<Exchange>& ex, std::function<void()> done) {
    const Pipeline& pipeline = *ex->generation->pipeline;
    pipeline.run(ex, [ex, &pipeline, done = std::move(done)] {
        if (ex->status == 0) answer_webhook_success(*ex);
        shape_answer(*ex);
        pipeline.complete(*ex);
        done();
    });
}

}  // namespace memolib::core
