#include "app/quarantine_command.hpp"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <rapidjson/document.h>

#include "config/gateway_config.hpp"
#include "config/schema.hpp"

namespace memolib::core {

namespace {

namespace http = boost::beast::http;
using Tcp = boost::asio::ip::tcp;

constexpr std::chrono::seconds kRequestTimeout{60};

struct Answer {
    int status = 0;
    std::string body;
};

struct Target {
    std::string host;
    std::string port;
    std::string token;
};

// One request on a connection of its own; throws on a network error.
Answer call(const Target& target, http::verb method, const std::string& path) {
    boost::asio::io_context io;
    Tcp::resolver resolver(io);
    boost::beast::tcp_stream stream(io);
    stream.expires_after(kRequestTimeout);
    stream.connect(resolver.resolve(target.host, target.port));
    http::request<http::string_body> request(method, path, 11);
    request.set(http::field::host, target.host);
    request.set(http::field::authorization, "Bearer " + target.token);
    request.prepare_payload();
    http::write(stream, request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    boost::beast::error_code ignored;
    stream.socket().shutdown(Tcp::socket::shutdown_both, ignored);
    return {static_cast<int>(response.result_int()), std::move(response.body())};
}

std::string member(const rapidjson::Value& v, const char* key) {
    if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return {};
    return v[key].GetString();
}

// The entries of every page of the list; nullopt (reported) when an answer is not a page.
std::optional<std::vector<std::string>> list_lines(const Target& target, const std::string& query,
                                                   std::vector<long long>& ids) {
    std::vector<std::string> lines;
    std::string cursor;
    for (;;) {
        std::string path = "/api/quarantine?limit=500" + query;
        if (!cursor.empty()) path += "&cursor=" + cursor;
        const Answer answer = call(target, http::verb::get, path);
        rapidjson::Document page;
        page.Parse(answer.body.c_str(), answer.body.size());
        if (answer.status != 200 || !page.IsObject() || !page.HasMember("entries") ||
            !page["entries"].IsArray()) {
            std::fprintf(stderr, "%d %s\n", answer.status, answer.body.c_str());
            return std::nullopt;
        }
        for (const auto& e : page["entries"].GetArray()) {
            const long long id = e["id"].GetInt64();
            ids.push_back(id);
            lines.push_back(std::to_string(id) + "\t" + member(e, "state") + "\t" +
                            member(e, "channel") + "\t" + member(e, "reason") + "\t" +
                            member(e, "received_at") + "\t" + member(e, "request_id"));
        }
        cursor = member(page, "next_cursor");
        if (cursor.empty()) return lines;
    }
}

// Prints an answer's body; true for a 2xx.
bool report(const Answer& answer) {
    std::FILE* out = answer.status / 100 == 2 ? stdout : stderr;
    std::fprintf(out, "%s\n", answer.body.c_str());
    return answer.status / 100 == 2;
}

}  // namespace

int quarantine(const std::string& config_path, const QuarantineCommand& command) {
    // Only the server and monitoring sections are needed, not the plugins: a plugins directory
    // in the middle of a hot swap (two files declaring one name) must not stop the command.
    static const PluginSchemaInfo kAnyPlugin = [] {
        static SchemaNode open;
        open.type = SchemaNode::Type::kObject;
        open.additional_properties = true;
        PluginSchemaInfo info;
        info.schema = &open;
        return info;
    }();
    std::vector<ConfigError> errors;
    std::optional<GatewayConfig> config = load_config(
        config_path,
        [](const std::string&) { return [](const std::string&) { return &kAnyPlugin; }; }, errors);
    if (!config) {
        for (const ConfigError& e : errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
        return 1;
    }
    Target target;
    target.token = config->root.at("monitoring").get("admin_token");
    if (target.token.empty()) {
        std::fprintf(stderr, "monitoring.admin_token is not set: the quarantine API is off\n");
        return 1;
    }
    std::string url = command.url;
    if (url.empty()) {
        std::string host = config->server.host;
        // A gateway listening on every address answers on the loopback one.
        if (host == "0.0.0.0" || host == "::" || host.empty()) host = "127.0.0.1";
        url = "http://" + host + ":" + std::to_string(config->server.port);
    }
    const std::string scheme = "http://";
    const std::size_t colon = url.rfind(':');
    if (url.compare(0, scheme.size(), scheme) != 0 || colon < scheme.size()) {
        std::fprintf(stderr, "--url must be http://HOST:PORT, not '%s'\n", url.c_str());
        return 1;
    }
    target.host = url.substr(scheme.size(), colon - scheme.size());
    target.port = url.substr(colon + 1);
    while (!target.port.empty() && target.port.back() == '/') target.port.pop_back();
    const std::string entry = "/api/quarantine/" + std::to_string(command.id);
    try {
        if (command.action == "list") {
            std::string query;
            if (!command.channel.empty()) query += "&channel=" + command.channel;
            if (!command.state.empty()) query += "&state=" + command.state;
            std::vector<long long> ids;
            auto lines = list_lines(target, query, ids);
            if (!lines) return 1;
            for (const std::string& line : *lines) std::printf("%s\n", line.c_str());
            return 0;
        }
        if (command.action == "show") return report(call(target, http::verb::get, entry)) ? 0 : 1;
        if (command.action == "discard")
            return report(call(target, http::verb::delete_, entry)) ? 0 : 1;
        if (command.action == "reprocess" && !command.all)
            return report(call(target, http::verb::post, entry + "/reprocess")) ? 0 : 1;
        // Every pending entry of the channel, one at a time; one still refused stops nothing.
        std::vector<long long> ids;
        if (!list_lines(target, "&state=pending&channel=" + command.channel, ids)) return 1;
        bool all_ok = true;
        for (long long id : ids) {
            const Answer answer = call(target, http::verb::post,
                                       "/api/quarantine/" + std::to_string(id) + "/reprocess");
            all_ok = report(answer) && all_ok;
        }
        return all_ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cannot reach the gateway at %s: %s\n", url.c_str(), e.what());
        return 1;
    }
}

}  // namespace memolib::core
