// The /dashboard page in a real browser: Debian's headless Chromium, driven through
// ChromeDriver's W3C WebDriver API (plain HTTP + JSON, so the test's own HTTP client does).
// The page is loaded, traffic is posted, and the page must show the new numbers by itself
// (it polls the dashboard JSON); a screenshot is kept in <build>/tests/artifacts.
#define BOOST_TEST_MODULE e2e_dashboard
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"
#include "support/redis_server.hpp"

extern char** environ;

using namespace memolib::test;

namespace {

constexpr const char* kChromeDriver = "/usr/bin/chromedriver";
constexpr const char* kChromium = "/usr/bin/chromium";

std::string json_string(const std::string& text) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
    return {buf.GetString(), buf.GetSize()};
}

std::string base64_decode(const std::string& text) {
    std::string out(text.size() / 4 * 3 + 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    BOOST_REQUIRE(n >= 0);
    std::size_t size = static_cast<std::size_t>(n);
    // EVP_DecodeBlock counts the padding as zero bytes.
    for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;
    out.resize(size);
    return out;
}

// One ChromeDriver process and one browser session in it.
class Browser {
public:
    Browser() : port_(free_loopback_port()) {
        BOOST_REQUIRE_MESSAGE(
            std::filesystem::exists(kChromeDriver) && std::filesystem::exists(kChromium),
            "Chromium and ChromeDriver are needed (scripts/deps.sh installs "
            "the chromium and chromium-driver packages)");
        const std::string port_arg = "--port=" + std::to_string(port_);
        char* argv[] = {const_cast<char*>(kChromeDriver), const_cast<char*>(port_arg.c_str()),
                        nullptr};
        BOOST_REQUIRE_EQUAL(posix_spawn(&pid_, kChromeDriver, nullptr, nullptr, argv, environ), 0);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        for (;;) {
            try {
                if (http_get(port_, "/status").status == 200) break;
            } catch (const std::exception&) {
            }
            BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                                  "ChromeDriver did not start");
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        auto session = call("POST", "/session",
                            R"({"capabilities":{"alwaysMatch":{
            "browserName":"chrome","goog:chromeOptions":{"binary":")" +
                                std::string(kChromium) + R"(",
            "args":["--headless=new","--no-sandbox","--disable-gpu","--disable-dev-shm-usage",
                    "--window-size=1200,900"]}}}})");
        session_ = session["value"]["sessionId"].GetString();
    }

    ~Browser() {
        try {
            if (!session_.empty()) call("DELETE", "/session/" + session_, "");
        } catch (const std::exception&) {
        }
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }

    void open(const std::string& url) {
        call("POST", "/session/" + session_ + "/url", R"({"url":)" + json_string(url) + "}");
    }

    // The text of the first element matching `css`, or "" when there is none.
    std::string text(const std::string& css) {
        const std::string script = "const e = document.querySelector(" + json_string(css) +
                                   "); return e ? e.textContent : '';";
        auto result = call("POST", "/session/" + session_ + "/execute/sync",
                           R"({"script":)" + json_string(script) + R"(,"args":[]})");
        return result["value"].IsString() ? result["value"].GetString() : std::string();
    }

    // Waits until the element's text is `expected`; returns the last text seen.
    std::string wait_for_text(const std::string& css, const std::string& expected,
                              std::chrono::seconds timeout = std::chrono::seconds(15)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::string seen;
        while (std::chrono::steady_clock::now() < deadline) {
            seen = text(css);
            if (seen == expected) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        return seen;
    }

    // Runs `script` with `args_json` (a JSON array) as its arguments; returns its string result,
    // or "" when it returns something else.
    std::string execute(const std::string& script, const std::string& args_json = "[]") {
        auto result = call("POST", "/session/" + session_ + "/execute/sync",
                           R"({"script":)" + json_string(script) + R"(,"args":)" + args_json + "}");
        return result["value"].IsString() ? result["value"].GetString() : std::string();
    }

    // How many elements match `css`.
    int count(const std::string& css) {
        return std::stoi(
            execute("return String(document.querySelectorAll(" + json_string(css) + ").length);"));
    }

    // An attribute of the first element matching `css`, or "" when there is none.
    std::string attribute(const std::string& css, const std::string& name) {
        return execute("const e = document.querySelector(" + json_string(css) +
                       "); return e ? (e.getAttribute(" + json_string(name) + ") || '') : '';");
    }

    std::string screenshot_png() {
        auto result = call("GET", "/session/" + session_ + "/screenshot", "");
        return base64_decode(result["value"].GetString());
    }

private:
    rapidjson::Document call(const std::string& method, const std::string& path,
                             const std::string& body) {
        HttpRequest request;
        request.method = method;
        request.target = path;
        request.body = body;
        if (!body.empty()) request.headers = {{"Content-Type", "application/json"}};
        HttpResponse response = http_request(port_, request, std::chrono::seconds(60));
        BOOST_REQUIRE_MESSAGE(response.status == 200, "WebDriver " << method << " " << path << ": "
                                                                   << response.status << " "
                                                                   << response.body);
        return parse_json(response.body);
    }

    std::uint16_t port_;
    pid_t pid_ = -1;
    std::string session_;
};

std::string form_json(const std::string& tag) {
    return R"({"name":"Jeanne","email":"jeanne.)" + tag + R"(@example.org","message":"Bonjour )" +
           tag + R"("})";
}

std::string cell(const std::string& channel, const std::string& field) {
    return "tr[data-channel=\"" + channel + "\"] td[data-field=\"" + field + "\"]";
}

std::string figure(const std::string& channel, const std::string& metric) {
    return "figure[data-channel=\"" + channel + "\"][data-metric=\"" + metric + "\"]";
}

const char* const kMetrics[] = {"requests_per_second", "error_rate", "p99_ms"};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(dashboard, GatewayFixture)

BOOST_AUTO_TEST_CASE(the_page_shows_new_traffic_by_itself) {
    config.channels.push_back({"contact", {{"plugin", "form"}, {"default_region", "FR"}}});
    start();
    Browser browser;
    browser.open("http://127.0.0.1:" + std::to_string(port) + "/dashboard");
    BOOST_TEST(browser.wait_for_text(cell("form", "requests"), "0") == "0");
    BOOST_TEST(browser.wait_for_text("#alert-list li", "none") == "none");
    // Idle: the charts are there, but no slot has an error rate or a p99 to draw.
    BOOST_TEST(browser.count("svg.chart") == 6);
    BOOST_TEST(browser.attribute(figure("form", "error_rate") + " path.series", "d") == "");
    BOOST_TEST(browser.attribute(figure("form", "p99_ms") + " path.series", "d") == "");

    // Traffic after the page loaded: 3 stored, 1 malformed.
    for (int i = 0; i < 3; ++i) {
        BOOST_REQUIRE_EQUAL(http_post(port, "/webhooks/form", "application/json",
                                      form_json("dash" + std::to_string(i)))
                                .status,
                            200);
    }
    BOOST_REQUIRE_EQUAL(http_post(port, "/webhooks/form", "application/json", "{").status, 400);
    for (int i = 0; i < 2; ++i) {
        BOOST_REQUIRE_EQUAL(http_post(port, "/webhooks/contact", "application/json",
                                      form_json("contact" + std::to_string(i)))
                                .status,
                            200);
    }

    // No reload of the page: it refreshes itself.
    BOOST_TEST(browser.wait_for_text(cell("form", "requests"), "4") == "4");
    BOOST_TEST(browser.text(cell("form", "success_rate")) == "75.0 %");
    BOOST_TEST(browser.text(cell("form", "error_rate")) == "25.0 %");
    BOOST_TEST(browser.text(cell("form", "p99")) != "–");
    BOOST_TEST(browser.text("#alert-list li").find("form: error_rate 25.0 %") == 0u,
               browser.text("#alert-list li"));
    BOOST_TEST(browser.wait_for_text(cell("contact", "requests"), "2") == "2");
    BOOST_TEST(browser.text(cell("all channels", "requests")) == "6");

    // The charts come first, one per metric and channel, each titled and drawn from the
    // window's series, with its numbers as text beside it.
    BOOST_TEST(browser.execute("return document.querySelector('#charts, table').id;") == "charts");
    BOOST_TEST(browser.count("svg.chart") == 6);
    for (const char* channel : {"form", "contact"}) {
        for (const char* metric : kMetrics) {
            const std::string chart = figure(channel, metric) + " svg.chart";
            BOOST_TEST(browser.count(chart) == 1, channel << " " << metric);
            BOOST_TEST(browser.text(chart + " > title").find(channel) == 0u,
                       browser.text(chart + " > title"));
            BOOST_TEST(
                browser.attribute(chart + " path.series", "d").find('M') == 0u,
                channel << " " << metric << ": " << browser.attribute(chart + " path.series", "d"));
            BOOST_TEST(browser.text(figure(channel, metric) + " [data-field=\"peak\"]") != "–",
                       channel << " " << metric);
        }
    }
    // The alert thresholds are drawn on the error rate and p99 charts only.
    BOOST_TEST(browser.count(figure("form", "requests_per_second") + " line.threshold") == 0);
    BOOST_TEST(browser.count(figure("form", "error_rate") + " line.threshold") == 1);
    // A 0 % error rate is drawn under its threshold, not with the threshold off the chart.
    BOOST_TEST(browser.count(figure("contact", "error_rate") + " line.threshold") == 1);
    BOOST_TEST(
        browser.text(figure("form", "error_rate") + " figcaption").find("alert above 5.0 %") !=
            std::string::npos,
        browser.text(figure("form", "error_rate") + " figcaption"));
    BOOST_TEST(browser.text(figure("form", "p99_ms") + " figcaption").find("alert above 5000 ms") !=
                   std::string::npos,
               browser.text(figure("form", "p99_ms") + " figcaption"));
    // 4 requests and 2 over the 300 s window.
    BOOST_TEST(browser.text(figure("form", "requests_per_second") + " [data-field=\"window\"]") ==
               "0.013/s");
    BOOST_TEST(browser.text(figure("contact", "requests_per_second") +
                            " [data-field=\"window\"]") == "0.0067/s");
    BOOST_TEST(browser.text(figure("form", "error_rate") + " [data-field=\"window\"]") == "25.0 %");
    BOOST_TEST(browser.text(figure("contact", "error_rate") + " [data-field=\"window\"]") ==
               "0.0 %");
    BOOST_TEST(browser.text(figure("form", "p99_ms") + " [data-field=\"window\"]") ==
               browser.text(cell("form", "p99")) + " ms");
    // Each channel's quarantine line (nothing pending here).
    BOOST_TEST(browser.count("[data-field=\"quarantine\"]") == 2);
    BOOST_TEST(browser.count(".quarantine.pending") == 0);

    const std::filesystem::path artifacts =
        std::filesystem::path(MEMOLIB_BINARY_DIR) / "tests" / "artifacts";
    std::filesystem::create_directories(artifacts);
    const std::string png = browser.screenshot_png();
    BOOST_TEST(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    std::ofstream(artifacts / "dashboard.png", std::ios::binary) << png;
    BOOST_TEST_MESSAGE("screenshot: " << (artifacts / "dashboard.png").string());
}

// The quarantine summary is the quarantine pipeline's to put in the JSON; the page shows it
// whenever a channel has one. The page's own render() is given the gateway's JSON with the
// object added, so the shape docs/api.md documents is what is read.
BOOST_AUTO_TEST_CASE(the_page_shows_a_quarantine_when_the_json_has_one) {
    config.channels.push_back({"contact", {{"plugin", "form"}, {"default_region", "FR"}}});
    start();
    Browser browser;
    browser.open("http://127.0.0.1:" + std::to_string(port) + "/dashboard");
    BOOST_TEST(browser.wait_for_text(cell("form", "requests"), "0") == "0");

    auto json = parse_json(http_get(port, "/api/monitoring/metrics-dashboard").body);
    auto& alloc = json.GetAllocator();
    for (auto& c : json["channels"].GetArray()) {
        const bool form = std::string(c["channel"].GetString()) == "form";
        rapidjson::Value q(rapidjson::kObjectType);
        q.AddMember("pending", form ? 2 : 0, alloc);
        rapidjson::Value oldest;
        if (form) oldest.SetDouble(3725.4);
        q.AddMember("oldest_age_seconds", oldest, alloc);
        c.AddMember("quarantine", q, alloc);
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    json.Accept(w);
    // Rendered and read in one script, so the page's next refresh cannot come in between.
    const std::string shown = browser.execute(
        "render(arguments[0]);"
        "return [...document.querySelectorAll('section.channel')].map(s => s.dataset.channel + "
        "'=' + (s.querySelector('[data-field=\"quarantine\"]') || {textContent: ''})"
        ".textContent).join('|');",
        "[" + std::string(buf.GetString(), buf.GetSize()) + "]");
    BOOST_TEST(shown ==
               "contact=Quarantine: 0 pending|form=Quarantine: 2 pending, oldest 1 h 2 min");
}

// The spool is there only with PostgreSQL (e2e_spool_operations_test has the JSON of a real
// outage); the page is given this gateway's JSON with the spool and its alert added.
BOOST_AUTO_TEST_CASE(the_page_shows_the_spool_and_its_alert_when_the_json_has_them) {
    start();
    Browser browser;
    browser.open("http://127.0.0.1:" + std::to_string(port) + "/dashboard");
    BOOST_TEST(browser.wait_for_text(cell("form", "requests"), "0") == "0");
    // SQLite: no spool, no panel.
    BOOST_TEST(browser.execute("return String(document.getElementById('spool').hidden);") ==
               "true");

    auto json = parse_json(http_get(port, "/api/monitoring/metrics-dashboard").body);
    BOOST_REQUIRE(json["spool"].IsNull());
    auto& alloc = json.GetAllocator();
    rapidjson::Value spool(rapidjson::kObjectType);
    spool.AddMember("depth", 12, alloc);
    spool.AddMember("oldest_age_seconds", 125.5, alloc);
    spool.AddMember("bytes", 3 * 1024 * 1024, alloc);
    spool.AddMember("max_bytes", 1024 * 1024 * 1024, alloc);
    json["spool"] = spool;
    rapidjson::Value alert(rapidjson::kObjectType);
    alert.AddMember("alert", "spool_not_empty", alloc);
    alert.AddMember("value", 125.5, alloc);
    alert.AddMember("threshold", 60.0, alloc);
    json["alerts"].PushBack(alert, alloc);
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    json.Accept(w);
    // Rendered and read in one script, so the page's next refresh cannot come in between.
    const std::string shown = browser.execute(
        "render(arguments[0]);"
        "const p = document.getElementById('spool');"
        "return [String(p.hidden), p.className, p.textContent,"
        "        document.querySelector('#alert-list li').textContent].join('|');",
        "[" + std::string(buf.GetString(), buf.GetSize()) + "]");
    BOOST_TEST(shown ==
               "false|waiting alerting|Spool: 12 messages waiting for PostgreSQL, oldest 2 min · "
               "3.0 MiB of 1.0 GiB|spool_not_empty: oldest 2 min > 1 min");

    // Drained: the panel stays, says so, and is no longer marked.
    json["spool"]["depth"] = 0;
    json["spool"]["oldest_age_seconds"].SetNull();
    json["spool"]["bytes"] = 0;
    json["alerts"].PopBack();
    buf.Clear();
    rapidjson::Writer<rapidjson::StringBuffer> w2(buf);
    json.Accept(w2);
    const std::string drained = browser.execute(
        "render(arguments[0]);"
        "const p = document.getElementById('spool');"
        "return [String(p.hidden), p.className, p.textContent].join('|');",
        "[" + std::string(buf.GetString(), buf.GetSize()) + "]");
    BOOST_TEST(
        drained ==
        "false||Spool: 0 messages waiting (every message is in PostgreSQL) · 0 B of 1.0 GiB");
}

BOOST_AUTO_TEST_SUITE_END()
