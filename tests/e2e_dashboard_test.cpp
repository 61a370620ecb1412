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
                    "--window-size=1200,700"]}}}})");
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

}  // namespace

BOOST_FIXTURE_TEST_SUITE(dashboard, GatewayFixture)

BOOST_AUTO_TEST_CASE(the_page_shows_new_traffic_by_itself) {
    start();
    Browser browser;
    browser.open("http://127.0.0.1:" + std::to_string(port) + "/dashboard");
    BOOST_TEST(browser.wait_for_text(cell("form", "requests"), "0") == "0");
    BOOST_TEST(browser.wait_for_text("#alert-list li", "none") == "none");

    // Traffic after the page loaded: 3 stored, 1 malformed.
    for (int i = 0; i < 3; ++i) {
        BOOST_REQUIRE_EQUAL(http_post(port, "/webhooks/form", "application/json",
                                      form_json("dash" + std::to_string(i)))
                                .status,
                            200);
    }
    BOOST_REQUIRE_EQUAL(http_post(port, "/webhooks/form", "application/json", "{").status, 400);

    // No reload of the page: it refreshes itself.
    BOOST_TEST(browser.wait_for_text(cell("form", "requests"), "4") == "4");
    BOOST_TEST(browser.text(cell("form", "success_rate")) == "75.0 %");
    BOOST_TEST(browser.text(cell("form", "error_rate")) == "25.0 %");
    BOOST_TEST(browser.text(cell("form", "p99")) != "–");
    BOOST_TEST(browser.text("#alert-list li").find("form: error_rate 25.0 %") == 0u,
               browser.text("#alert-list li"));
    BOOST_TEST(browser.text(cell("all channels", "requests")) == "4");

    const std::filesystem::path artifacts =
        std::filesystem::path(MEMOLIB_BINARY_DIR) / "tests" / "artifacts";
    std::filesystem::create_directories(artifacts);
    const std::string png = browser.screenshot_png();
    BOOST_TEST(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    std::ofstream(artifacts / "dashboard.png", std::ios::binary) << png;
    BOOST_TEST_MESSAGE("screenshot: " << (artifacts / "dashboard.png").string());
}

BOOST_AUTO_TEST_SUITE_END()
