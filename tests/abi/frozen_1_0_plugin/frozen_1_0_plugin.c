/* A plugin written in C against the frozen SDK 1.0 header alone (frozen/abi_1_0.h), as a
 * third party built it when 1.0 was current: every later 1.x host must load it, create it and
 * take its messages. Its parse emits the body as the text of one message. */
#include <string.h>

#include "abi_1_0.h"

#define EXPORT __attribute__((visibility("default")))

static const char* const kProviders[] = {"frozen", NULL};
static const char* const kContentTypes[] = {"text/plain", NULL};
static int instance_token;

static memolib_str_t view(const char* s) {
    memolib_str_t out = {s, strlen(s)};
    return out;
}

static memolib_instance_t* on_create(const memolib_config_t* config, const memolib_host_t* host) {
    (void)config;
    (void)host;
    return (memolib_instance_t*)&instance_token;
}

static void on_destroy(memolib_instance_t* instance) { (void)instance; }

static memolib_status_t on_verify(const memolib_instance_t* instance,
                                  const memolib_request_t* request, const memolib_host_t* host) {
    (void)instance;
    (void)request;
    (void)host;
    return MEMOLIB_OK;
}

static memolib_status_t on_parse(const memolib_instance_t* instance,
                                 const memolib_request_t* request, const memolib_host_t* host) {
    memolib_message_t message;
    size_t i;
    (void)instance;
    if (request->body.len == 0) {
        host->add_error(host->ctx, view("body"), view("required"), view("the body is empty"));
        return MEMOLIB_INVALID;
    }
    for (i = 0; i < request->body.len; ++i) {
        if (request->body.ptr[i] < 0x20 || request->body.ptr[i] > 0x7e) {
            host->add_error(host->ctx, view("body"), view("invalid_format"),
                            view("printable ASCII only"));
            return MEMOLIB_INVALID;
        }
    }
    memset(&message, 0, sizeof message);
    message.struct_size = sizeof message;
    message.provider = view("frozen");
    message.text.ptr = (const char*)request->body.ptr;
    message.text.len = request->body.len;
    return host->emit_message(host->ctx, &message) == 0 ? MEMOLIB_OK : MEMOLIB_INVALID;
}

static const memolib_plugin_descriptor_t kDescriptor = {
    sizeof(memolib_plugin_descriptor_t),
    MEMOLIB_SDK_ABI_MAJOR,
    MEMOLIB_SDK_ABI_MINOR,
    "frozen_1_0",
    "1.0.0",
    "A plugin built against the frozen SDK 1.0 header",
    "alpha",
    kProviders,
    kContentTypes,
    65536,
    100,
    3600000,
    "",
    on_create,
    on_destroy,
    on_verify,
    NULL,
    on_parse,
};

EXPORT const memolib_plugin_descriptor_t* memolib_plugin_v1(void) { return &kDescriptor; }
