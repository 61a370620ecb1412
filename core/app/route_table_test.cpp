#include "app/route_table.hpp"

#include <string>

#include <boost/test/unit_test.hpp>

using namespace memolib::core;

namespace {

using Result = RouteMatch::Result;

RouteMatch match(const std::string& method, const std::string& path) {
    return gateway_routes().match(method, path);
}

bool found(const RouteMatch& m, RouteId id) {
    return m.result == Result::kFound && m.route != nullptr && m.route->id == id;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(route_table)

BOOST_AUTO_TEST_CASE(each_path_finds_its_route) {
    BOOST_TEST(found(match("POST", "/webhooks/form"), RouteId::kWebhook));
    BOOST_TEST(found(match("GET", "/webhooks/whatsapp"), RouteId::kWebhook));
    BOOST_TEST(found(match("GET", "/health"), RouteId::kHealth));
    BOOST_TEST(found(match("HEAD", "/version"), RouteId::kVersion));
    BOOST_TEST(found(match("GET", "/metrics"), RouteId::kMetrics));
    BOOST_TEST(found(match("GET", "/ready"), RouteId::kReady));
    BOOST_TEST(found(match("GET", "/dashboard"), RouteId::kDashboard));
    BOOST_TEST(found(match("GET", "/api/monitoring/metrics-dashboard"), RouteId::kDashboardJson));
    BOOST_TEST(found(match("GET", "/api/messages"), RouteId::kMessages));
    BOOST_TEST(found(match("GET", "/api/messages/42"), RouteId::kMessage));
    BOOST_TEST(found(match("POST", "/api/admin/reload"), RouteId::kReload));
}

BOOST_AUTO_TEST_CASE(a_trailing_param_takes_the_rest_of_the_path) {
    BOOST_TEST(match("POST", "/webhooks/form").param == "form");
    BOOST_TEST(match("GET", "/api/messages/42").param == "42");
    // The handler judges the rest: an unknown channel "a/b", a message id that is not one.
    BOOST_TEST(match("POST", "/webhooks/a/b").param == "a/b");
    BOOST_TEST(found(match("GET", "/api/messages/"), RouteId::kMessage));
    BOOST_TEST(match("GET", "/api/messages/").param.empty());
    BOOST_TEST(match("GET", "/health").param.empty());
}

BOOST_AUTO_TEST_CASE(a_param_inside_a_pattern_takes_one_segment) {
    const RouteTable table({{RouteId::kMessage,
                             "/api/quarantine/{id}/reprocess",
                             {"POST"},
                             true,
                             0,
                             RunsOn::kAdminWorker,
                             {}}});
    const RouteMatch m = table.match("POST", "/api/quarantine/17/reprocess");
    BOOST_TEST(found(m, RouteId::kMessage));
    BOOST_TEST(m.param == "17");
    BOOST_TEST(table.match("POST", "/api/quarantine/1/7/reprocess").route == nullptr);
    BOOST_TEST(table.match("POST", "/api/quarantine//reprocess").route == nullptr);
    BOOST_TEST(table.match("POST", "/api/quarantine/17/reprocessed").route == nullptr);
}

BOOST_AUTO_TEST_CASE(an_unknown_path_is_not_found) {
    for (const char* path : {"/", "/healthz", "/health/", "/webhooks", "/api/", "/api/admin/x",
                             "/api/messagesx", "/dashboard.html"}) {
        BOOST_TEST_CONTEXT(path) {
            const RouteMatch m = match("GET", path);
            BOOST_TEST((m.result == Result::kNotFound));
            BOOST_TEST(m.route == nullptr);
        }
    }
    BOOST_TEST((match("POST", "/nowhere").result == Result::kNotFound));
}

BOOST_AUTO_TEST_CASE(a_known_path_with_another_method_is_405_with_allow) {
    const RouteMatch health = match("POST", "/health");
    BOOST_TEST((health.result == Result::kMethodNotAllowed));
    BOOST_TEST(RouteTable::allow(*health.route) == "GET, HEAD");
    BOOST_TEST(RouteTable::wrong_method(*health.route, "/health") == "use GET on /health");

    const RouteMatch webhook = match("PUT", "/webhooks/form");
    BOOST_TEST((webhook.result == Result::kMethodNotAllowed));
    BOOST_TEST(RouteTable::allow(*webhook.route) == "GET, POST");
    BOOST_TEST(RouteTable::wrong_method(*webhook.route, "/webhooks/form") ==
               "webhooks take POST (and GET for a handshake)");
    BOOST_TEST((match("HEAD", "/webhooks/form").result == Result::kMethodNotAllowed));

    const RouteMatch reload = match("GET", "/api/admin/reload");
    BOOST_TEST((reload.result == Result::kMethodNotAllowed));
    BOOST_TEST(RouteTable::allow(*reload.route) == "POST");
    BOOST_TEST(RouteTable::wrong_method(*reload.route, "/api/admin/reload") ==
               "use POST on /api/admin/reload");
}

BOOST_AUTO_TEST_CASE(a_quarantine_entry_takes_get_and_delete) {
    const RouteMatch entry = match("DELETE", "/api/quarantine/12");
    BOOST_TEST((entry.result == Result::kFound));
    BOOST_TEST((entry.route->id == RouteId::kQuarantineEntry));
    BOOST_TEST(entry.param == "12");
    BOOST_TEST((match("GET", "/api/quarantine").route->id == RouteId::kQuarantineList));
    const RouteMatch reprocess = match("POST", "/api/quarantine/12/reprocess");
    BOOST_TEST((reprocess.route->id == RouteId::kQuarantineReprocess));
    BOOST_TEST(reprocess.param == "12");
    BOOST_TEST((match("DELETE", "/api/quarantine").result == Result::kMethodNotAllowed));
}

BOOST_AUTO_TEST_CASE(the_read_and_admin_apis_need_the_token_and_nothing_else_does) {
    for (const Route& route : gateway_routes().routes()) {
        const bool read_or_admin =
            route.id == RouteId::kMessages || route.id == RouteId::kMessage ||
            route.id == RouteId::kReload || route.id == RouteId::kQuarantineList ||
            route.id == RouteId::kQuarantineEntry || route.id == RouteId::kQuarantineReprocess;
        BOOST_TEST(route.needs_token == read_or_admin, route.pattern);
    }
}

BOOST_AUTO_TEST_CASE(database_reads_and_reloads_stay_off_the_io_threads) {
    for (RouteId id :
         {RouteId::kMessages, RouteId::kMessage, RouteId::kReload, RouteId::kQuarantineList,
          RouteId::kQuarantineEntry, RouteId::kQuarantineReprocess}) {
        for (const Route& route : gateway_routes().routes()) {
            if (route.id == id) BOOST_TEST((route.runs_on == RunsOn::kAdminWorker), route.pattern);
        }
    }
    BOOST_TEST((match("GET", "/ready").route->runs_on == RunsOn::kReadyWorker));
    BOOST_TEST(match("POST", "/webhooks/form").route->body_limit == kChannelBodyLimit);
    BOOST_TEST(match("GET", "/health").route->body_limit == 0U);
}

BOOST_AUTO_TEST_SUITE_END()
