// A valid shared object that exports no memolib_plugin_v1: the host must refuse it.
#include "fixture_plugin.hpp"

MEMOLIB_FIXTURE_EXPORT const memolib_plugin_descriptor_t* memolib_plugin_v0(void) {
    static const memolib_plugin_descriptor_t kDescriptor =
        memolib::test::fixture::make_descriptor("no_entry");
    return &kDescriptor;
}
