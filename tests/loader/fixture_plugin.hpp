// Building blocks for the loader fixtures: tiny plugins written against abi.h alone, each
// broken in exactly one way, that the host must refuse with one log line and no crash.
// The hooks do nothing useful: the host must refuse these files before calling any of them.
#pragma once

#include <cstdint>

#include "memolib/sdk/abi.h"

#define MEMOLIB_FIXTURE_EXPORT extern "C" __attribute__((visibility("default")))

namespace memolib::test::fixture {

inline memolib_instance_t* on_create(const memolib_config_t* /*config*/,
                                     const memolib_host_t* /*host*/) {
    return nullptr;
}
inline void on_destroy(memolib_instance_t* /*instance*/) {}
inline memolib_status_t on_verify(const memolib_instance_t* /*instance*/,
                                  const memolib_request_t* /*request*/,
                                  const memolib_host_t* /*host*/) {
    return MEMOLIB_INTERNAL_ERROR;
}
inline memolib_status_t on_parse(const memolib_instance_t* /*instance*/,
                                 const memolib_request_t* /*request*/,
                                 const memolib_host_t* /*host*/) {
    return MEMOLIB_INTERNAL_ERROR;
}

inline const char* const kProviders[] = {"fixture", nullptr};
inline const char* const kContentTypes[] = {"application/json", nullptr};

/// A descriptor that would load if nothing else were wrong with it.
inline memolib_plugin_descriptor_t make_descriptor(const char* name) {
    memolib_plugin_descriptor_t d{};
    d.struct_size = sizeof(memolib_plugin_descriptor_t);
    d.abi_major = MEMOLIB_SDK_ABI_MAJOR;
    d.abi_minor = MEMOLIB_SDK_ABI_MINOR;
    d.name = name;
    d.version = "0.0.0";
    d.description = "a loader test fixture";
    d.status = "alpha";
    d.providers = kProviders;
    d.content_types = kContentTypes;
    d.default_max_body_bytes = 1024;
    d.default_rate_requests = 10;
    d.default_rate_window_ms = 60000;
    d.config_schema_yaml = "{}";
    d.on_create = &on_create;
    d.on_destroy = &on_destroy;
    d.on_verify = &on_verify;
    d.on_handshake = nullptr;
    d.on_parse = &on_parse;
    return d;
}

}  // namespace memolib::test::fixture
