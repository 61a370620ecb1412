#include "plugins/request_view.hpp"

#include <string>

#include <boost/test/unit_test.hpp>

using namespace memolib::core;

namespace {

std::string str(memolib_str_t s) { return {s.ptr, s.len}; }

void set_request(Exchange& ex, const std::string& host, const std::string& path,
                 const std::string& query) {
    ex.method = "POST";
    ex.path = path;
    ex.query = query;
    ex.headers = {{"Host", host}, {"Content-Type", "application/json"}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(request_view)

BOOST_AUTO_TEST_CASE(one_view_serves_every_hook_of_a_request) {
    Exchange ex;
    set_request(ex, "gw.example", "/webhooks/form", "a=1");
    // The handshake sees the request before its body is read.
    const memolib_request_t& before = plugin_request(ex);
    BOOST_TEST(str(before.public_url) == "http://gw.example/webhooks/form?a=1");
    BOOST_TEST(before.body.len == 0U);
    const RequestView* built = ex.request_view.get();
    ex.body = "{\"message\":\"Bonjour\"}";
    const memolib_request_t& after = plugin_request(ex);
    BOOST_TEST(ex.request_view.get() == built);
    BOOST_TEST(std::string(reinterpret_cast<const char*>(after.body.ptr), after.body.len) ==
               ex.body);
    BOOST_TEST(after.header_count == 2U);
    BOOST_TEST(str(after.content_type) == "application/json");
}

BOOST_AUTO_TEST_CASE(a_reused_exchange_gets_a_view_of_its_new_request) {
    Exchange ex;
    set_request(ex, "one.example", "/webhooks/form", "a=1");
    plugin_request(ex);
    ex.reset();
    set_request(ex, "two.example", "/webhooks/sms", "");
    ex.headers.emplace_back("X-Extra", "1");
    const memolib_request_t& view = plugin_request(ex);
    BOOST_TEST(str(view.public_url) == "http://two.example/webhooks/sms");
    BOOST_TEST(str(view.path) == "/webhooks/sms");
    BOOST_TEST(view.header_count == 3U);
    BOOST_TEST(str(view.headers[2].name) == "X-Extra");
    BOOST_TEST(view.body.len == 0U);
}

BOOST_AUTO_TEST_SUITE_END()
