// A plugin that works and calls itself "form", under a version of its own: the hot swap tests
// read /version to tell which of two files declaring "form" serves the name.
#include "fixture_plugin.hpp"

namespace {

memolib_instance_t* create(const memolib_config_t* /*config*/, const memolib_host_t* /*host*/) {
    static int instance = 0;
    return reinterpret_cast<memolib_instance_t*>(&instance);
}

memolib_plugin_descriptor_t swap_descriptor() {
    memolib_plugin_descriptor_t d = memolib::test::fixture::make_descriptor("form");
    d.version = "2.0.0-swap";
    d.on_create = &create;
    return d;
}

}  // namespace

MEMOLIB_FIXTURE_EXPORT const memolib_plugin_descriptor_t* memolib_plugin_v1(void) {
    static const memolib_plugin_descriptor_t kDescriptor = swap_descriptor();
    return &kDescriptor;
}
