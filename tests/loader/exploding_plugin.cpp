// A plugin that fails (MEMOLIB_INTERNAL_ERROR) on a body containing "explode", as a plugin with
// a bug does on the one payload it mishandles, refuses the media type of one containing
// "refuse-type", emits a text that is not UTF-8 for one containing "not-utf8", and turns any
// other body into one message. Built with MEMOLIB_EXPLODING_FIXED (exploding_fixed) it is the
// fixed version, which takes "explode" as any other body, for the re-processing tests. Its
// `token` key is a secret: verify accepts a request whose X-Token header equals it, so a
// channel that sets it is authenticated and its failures are quarantined (e2e_quarantine_test).
#include <string>
#include <string_view>

#include "fixture_plugin.hpp"

namespace {

struct Instance {
    std::string token;
};

memolib_instance_t* create(const memolib_config_t* config, const memolib_host_t* /*host*/) {
    auto* instance = new Instance;
    for (std::size_t i = 0; i < config->entry_count; ++i) {
        const memolib_pair_t& e = config->entries[i];
        if (std::string_view(e.name.ptr, e.name.len) == "token")
            instance->token.assign(e.value.ptr, e.value.len);
    }
    return reinterpret_cast<memolib_instance_t*>(instance);
}

void destroy(memolib_instance_t* instance) { delete reinterpret_cast<Instance*>(instance); }

memolib_status_t verify(const memolib_instance_t* instance, const memolib_request_t* request,
                        const memolib_host_t* /*host*/) {
    const auto* self = reinterpret_cast<const Instance*>(instance);
    if (self->token.empty()) return MEMOLIB_OK;
    for (std::size_t i = 0; i < request->header_count; ++i) {
        const memolib_pair_t& h = request->headers[i];
        const std::string_view name(h.name.ptr, h.name.len);
        if ((name == "X-Token" || name == "x-token") &&
            std::string_view(h.value.ptr, h.value.len) == self->token) {
            return MEMOLIB_OK;
        }
    }
    return MEMOLIB_UNAUTHORIZED;
}

memolib_status_t parse(const memolib_instance_t* /*instance*/, const memolib_request_t* request,
                       const memolib_host_t* host) {
    const std::string_view body(reinterpret_cast<const char*>(request->body.ptr),
                                request->body.len);
#ifndef MEMOLIB_EXPLODING_FIXED
    if (body.find("explode") != std::string_view::npos) return MEMOLIB_INTERNAL_ERROR;
#endif
    if (body.find("refuse-type") != std::string_view::npos) return MEMOLIB_UNSUPPORTED_MEDIA_TYPE;
    memolib_message_t m{};
    m.struct_size = sizeof m;
    m.provider = {"fixture", 7};
    m.sender = {"fixture@example.org", 19};
    m.text = {body.data(), body.size()};
    // A text that is not UTF-8, which the host refuses to store.
    static const char kNotUtf8[] = "\xff\xfe";
    if (body.find("not-utf8") != std::string_view::npos) m.text = {kNotUtf8, 2};
    host->emit_message(host->ctx, &m);
    return MEMOLIB_OK;
}

}  // namespace

MEMOLIB_FIXTURE_EXPORT const memolib_plugin_descriptor_t* memolib_plugin_v1(void) {
    static const memolib_plugin_descriptor_t kDescriptor = [] {
        memolib_plugin_descriptor_t d = memolib::test::fixture::make_descriptor("exploding");
        d.config_schema_yaml = R"(token:
  type: string
  required: false
  secret: true
  description: What the X-Token header must hold. Unset, every request passes verify.
)";
        d.default_max_body_bytes = 65536;
        d.on_create = &create;
        d.on_destroy = &destroy;
        d.on_verify = &verify;
        d.on_parse = &parse;
        return d;
    }();
    return &kDescriptor;
}
