// A kDescriptor whose struct_size is too small to hold the fields the host reads: the host
// must refuse it rather than read past its end.
#include "fixture_plugin.hpp"

MEMOLIB_FIXTURE_EXPORT const memolib_plugin_descriptor_t* memolib_plugin_v1(void) {
    static const memolib_plugin_descriptor_t kDescriptor = [] {
        memolib_plugin_descriptor_t d = memolib::test::fixture::make_descriptor("wrong_size");
        d.struct_size = 8;
        return d;
    }();
    return &kDescriptor;
}
