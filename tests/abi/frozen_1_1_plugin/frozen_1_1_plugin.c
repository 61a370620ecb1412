/* A plugin written in C against the frozen SDK 1.1 header alone (../frozen/abi_1_1.h): every
 * later 1.x host must load it, call its answer hook and its hmac callback. Its parse emits the
 * body as the text of one message; its answer says the outcome and the first 16 hex digits of
 * HMAC-SHA256("frozen", body), as the host computed it. */
#include <string.h>

#include "abi_1_1.h"

#define EXPORT __attribute__((visibility("default")))

static const char* const kProviders[] = {"frozen11", NULL};
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
    (void)instance;
    if (request->body.len == 0) {
        host->add_error(host->ctx, view("body"), view("required"), view("the body is empty"));
        return MEMOLIB_INVALID;
    }
    memset(&message, 0, sizeof message);
    message.struct_size = sizeof message;
    message.provider = view("frozen11");
    message.text.ptr = (const char*)request->body.ptr;
    message.text.len = request->body.len;
    return host->emit_message(host->ctx, &message) == 0 ? MEMOLIB_OK : MEMOLIB_INVALID;
}

static memolib_status_t on_answer(const memolib_instance_t* instance,
                                  const memolib_request_t* request,
                                  const memolib_outcome_t* outcome, const memolib_host_t* host) {
    static const char kHex[] = "0123456789abcdef";
    const char* kind = outcome->kind == MEMOLIB_OUTCOME_STORED      ? "stored "
                       : outcome->kind == MEMOLIB_OUTCOME_DUPLICATE ? "duplicate "
                                                                    : NULL;
    memolib_bytes_t key = {(const uint8_t*)"frozen", 6};
    uint8_t mac[64];
    char answer[32];
    size_t n;
    size_t i;
    size_t len;
    (void)instance;
    if (kind == NULL || host->struct_size < offsetof(memolib_host_t, hmac) + sizeof host->hmac)
        return MEMOLIB_OK;
    n = host->hmac(host->ctx, view("sha256"), key, request->body, mac, sizeof mac);
    if (n < 8) return MEMOLIB_INTERNAL_ERROR;
    len = strlen(kind);
    memcpy(answer, kind, len);
    for (i = 0; i < 8; ++i) {
        answer[len++] = kHex[mac[i] >> 4];
        answer[len++] = kHex[mac[i] & 15];
    }
    host->set_response(host->ctx, 200, view("text/plain"),
                       (memolib_bytes_t){(uint8_t*)answer, len});
    return MEMOLIB_OK;
}

static const memolib_plugin_descriptor_t kDescriptor = {
    sizeof(memolib_plugin_descriptor_t),
    MEMOLIB_SDK_ABI_MAJOR,
    MEMOLIB_SDK_ABI_MINOR,
    "frozen_1_1",
    "1.1.0",
    "A C plugin built against the frozen SDK 1.1 header",
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
    on_answer,
    NULL,
};

EXPORT const memolib_plugin_descriptor_t* memolib_plugin_v1(void) { return &kDescriptor; }
