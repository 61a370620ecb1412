/* A minimal plugin written against abi.h alone; its variants (by macro) break one rule each. */
#include <stdlib.h>
#include <string.h>

#include "memolib/sdk/abi.h"

#ifndef FIXTURE_ABI_MAJOR
#define FIXTURE_ABI_MAJOR MEMOLIB_SDK_ABI_MAJOR
#endif
#ifndef FIXTURE_NAME
#define FIXTURE_NAME "echo"
#endif

struct memolib_instance_t {
    int unused;
};

static memolib_instance_t* on_create(const memolib_config_t* config, const memolib_host_t* host) {
    size_t i;
    for (i = 0; i < config->entry_count; ++i) {
        const memolib_pair_t* e = &config->entries[i];
        if (e->name.len == 4 && memcmp(e->name.ptr, "mode", 4) == 0 && e->value.len == 6 &&
            memcmp(e->value.ptr, "refuse", 6) == 0) {
            memolib_str_t field = {"mode", 4};
            memolib_str_t code = {"invalid_config", 14};
            memolib_str_t msg = {"mode 'refuse' always refuses", 28};
            host->add_error(host->ctx, field, code, msg);
            return NULL;
        }
    }
    return (memolib_instance_t*)calloc(1, sizeof(memolib_instance_t));
}

static void on_destroy(memolib_instance_t* instance) { free(instance); }

/* A body starting with "forged" fails verification, so that the verify stage can be tested. */
static memolib_status_t on_verify(const memolib_instance_t* i, const memolib_request_t* r,
                                  const memolib_host_t* h) {
    (void)i;
    (void)h;
    if (r->body.len >= 6 && memcmp(r->body.ptr, "forged", 6) == 0) return MEMOLIB_UNAUTHORIZED;
    return MEMOLIB_OK;
}

static memolib_status_t on_parse(const memolib_instance_t* i, const memolib_request_t* r,
                                 const memolib_host_t* h) {
    memolib_message_t m;
    (void)i;
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    m.provider.ptr = "test";
    m.provider.len = 4;
    m.text.ptr = (const char*)r->body.ptr;
    m.text.len = r->body.len;
    /* "ancient": a provider time one millisecond before year 1; "year1": at its start. */
    if (r->body.len >= 7 && memcmp(r->body.ptr, "ancient", 7) == 0)
        m.provider_timestamp_ms = -62135596800001LL;
    if (r->body.len >= 5 && memcmp(r->body.ptr, "year1", 5) == 0)
        m.provider_timestamp_ms = -62135596800000LL;
    /* A body starting with "metadata:" gives the rest as the message's metadata. */
    if (r->body.len >= 9 && memcmp(r->body.ptr, "metadata:", 9) == 0) {
        m.metadata_json.ptr = (const char*)r->body.ptr + 9;
        m.metadata_json.len = r->body.len - 9;
    }
    return h->emit_message(h->ctx, &m) == 0 ? MEMOLIB_OK : MEMOLIB_INVALID;
}

static const char* const kProviders[] = {"test", NULL};
static const char* const kTypes[] = {"text/plain", NULL};

/* The no-entry variant exports the same descriptor under a name the host does not look for. */
#ifdef FIXTURE_NO_ENTRY
#define FIXTURE_ENTRY memolib_plugin_v0
#else
#define FIXTURE_ENTRY memolib_plugin_v1
#endif

__attribute__((visibility("default"))) const memolib_plugin_descriptor_t* FIXTURE_ENTRY(void) {
    static memolib_plugin_descriptor_t d;
    memset(&d, 0, sizeof d);
#ifdef FIXTURE_SMALL_STRUCT
    d.struct_size = 16;
#else
    d.struct_size = sizeof d;
#endif
    d.abi_major = FIXTURE_ABI_MAJOR;
    d.abi_minor = MEMOLIB_SDK_ABI_MINOR;
    d.name = FIXTURE_NAME;
    d.version = "0.0.1";
    d.description = "loader test fixture";
    d.status = "alpha";
    d.providers = kProviders;
    d.content_types = kTypes;
    d.default_max_body_bytes = 1024;
#ifdef FIXTURE_BAD_SCHEMA
    d.config_schema_yaml = "mode: {type: colour}";
#else
    d.config_schema_yaml =
        "mode: {type: string, default: normal, enum: [normal, refuse], description: test}";
#endif
    d.on_create = on_create;
    d.on_destroy = on_destroy;
    d.on_verify = on_verify;
    d.on_handshake = NULL;
    d.on_parse = on_parse;
    return &d;
}
