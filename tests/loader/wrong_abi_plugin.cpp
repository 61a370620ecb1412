// A plugin built for an ABI major the host does not speak (99): the host must refuse it,
// naming the file and both majors, and keep serving the other channels.
#include "fixture_plugin.hpp"

MEMOLIB_FIXTURE_EXPORT const memolib_plugin_descriptor_t* memolib_plugin_v1(void) {
    static const memolib_plugin_descriptor_t kDescriptor = [] {
        memolib_plugin_descriptor_t d = memolib::test::fixture::make_descriptor("wrong_abi");
        d.abi_major = 99;
        return d;
    }();
    return &kDescriptor;
}
