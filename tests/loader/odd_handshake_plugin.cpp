// A plugin that loads and answers every handshake with the HTTP status named by the query
// (`?status=101`), however wrong: the host must not pass an interim or impossible status on.
#include <charconv>
#include <string_view>

#include "fixture_plugin.hpp"

namespace {

memolib_instance_t* create(const memolib_config_t* /*config*/, const memolib_host_t* /*host*/) {
    static int instance = 0;
    return reinterpret_cast<memolib_instance_t*>(&instance);
}

memolib_status_t handshake(const memolib_instance_t* /*instance*/, const memolib_request_t* request,
                           const memolib_host_t* host) {
    const std::string_view query(request->query.ptr, request->query.len);
    const std::string_view prefix = "status=";
    int status = 200;
    if (query.substr(0, prefix.size()) == prefix) {
        std::from_chars(query.data() + prefix.size(), query.data() + query.size(), status);
    }
    const std::string_view body = "odd";
    host->set_response(host->ctx, status, {"text/plain", 10},
                       {reinterpret_cast<const unsigned char*>(body.data()), body.size()});
    return MEMOLIB_OK;
}

}  // namespace

MEMOLIB_FIXTURE_EXPORT const memolib_plugin_descriptor_t* memolib_plugin_v1(void) {
    static const memolib_plugin_descriptor_t kDescriptor = [] {
        memolib_plugin_descriptor_t d = memolib::test::fixture::make_descriptor("odd_handshake");
        d.on_create = &create;
        d.on_handshake = &handshake;
        return d;
    }();
    return &kDescriptor;
}
