// A second plugin that calls itself "form": the host must refuse one of the two, saying the
// name is a duplicate, and keep the other.
#include "fixture_plugin.hpp"

MEMOLIB_FIXTURE_EXPORT const memolib_plugin_descriptor_t* memolib_plugin_v1(void) {
    static const memolib_plugin_descriptor_t kDescriptor =
        memolib::test::fixture::make_descriptor("form");
    return &kDescriptor;
}
