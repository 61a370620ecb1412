// SDK 1.x may only append: every field of the frozen 1.0 header must sit at the same offset
// with the same size in today's abi.h, every 1.0 struct may only have grown, and every 1.0
// constant keeps its value. A reordered, retyped or removed field fails here.
#define BOOST_TEST_MODULE abi_layout
#include <cstddef>
#include <map>
#include <string>

#include <boost/test/unit_test.hpp>

#include "abi_1_1_fields.h"
#include "memolib/sdk/abi.h"

extern "C" const memolib_abi_layout_entry memolib_frozen_1_0_layout[];
extern "C" const memolib_abi_layout_entry memolib_frozen_1_1_layout[];

namespace {

#define FIELD(type, field) {#type "." #field, offsetof(type, field), sizeof(((type*)0)->field)},
#define STRUCT(type) {#type, 0, sizeof(type)},
#define CONSTANT(name) {#name, static_cast<unsigned long>(name), 0},

const memolib_abi_layout_entry kCurrentLayout[] = {MEMOLIB_ABI_1_0_STRUCTS(
    STRUCT) MEMOLIB_ABI_1_0_FIELDS(FIELD) MEMOLIB_ABI_1_0_CONSTANTS(CONSTANT){nullptr, 0, 0}};
const memolib_abi_layout_entry kCurrentLayout11[] = {
    MEMOLIB_ABI_1_0_STRUCTS(STRUCT) MEMOLIB_ABI_1_1_STRUCTS(STRUCT) MEMOLIB_ABI_1_0_FIELDS(FIELD)
        MEMOLIB_ABI_1_1_FIELDS(FIELD) MEMOLIB_ABI_1_0_CONSTANTS(CONSTANT)
            MEMOLIB_ABI_1_1_CONSTANTS(CONSTANT){nullptr, 0, 0}};

std::map<std::string, memolib_abi_layout_entry> by_name(const memolib_abi_layout_entry* list) {
    std::map<std::string, memolib_abi_layout_entry> out;
    for (; list->name != nullptr; ++list) out[list->name] = *list;
    return out;
}

bool is_struct(const std::string& name) {
    return name.find('.') == std::string::npos && name.rfind("MEMOLIB_", 0) != 0;
}

// Every entry of `frozen` sits in `current` with the same offset (or value) and size; a struct
// may only have grown.
void check_kept(const memolib_abi_layout_entry* frozen_list,
                const memolib_abi_layout_entry* current_list, std::size_t at_least) {
    const auto frozen = by_name(frozen_list);
    const auto current = by_name(current_list);
    BOOST_TEST(frozen.size() == current.size());
    BOOST_TEST(frozen.size() > at_least);
    for (const auto& [name, old] : frozen) {
        BOOST_TEST_CONTEXT(name) {
            const auto it = current.find(name);
            BOOST_REQUIRE(it != current.end());
            if (is_struct(name)) {
                BOOST_TEST(it->second.size >= old.size, "a 1.x struct may only grow");
            } else {
                BOOST_TEST(it->second.offset_or_value == old.offset_or_value);
                BOOST_TEST(it->second.size == old.size);
            }
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_1_0_field_and_constant_is_where_1_0_put_it) {
    check_kept(memolib_frozen_1_0_layout, kCurrentLayout, 60U);
}

BOOST_AUTO_TEST_CASE(every_1_1_field_and_constant_is_where_1_1_put_it) {
    check_kept(memolib_frozen_1_1_layout, kCurrentLayout11, 80U);
}

BOOST_AUTO_TEST_CASE(abi_1_1_appends_claim_nonce_after_the_1_0_host_callbacks) {
    const auto frozen = by_name(memolib_frozen_1_0_layout);
    BOOST_TEST(offsetof(memolib_host_t, claim_nonce) >= frozen.at("memolib_host_t").size);
    BOOST_TEST(MEMOLIB_SDK_ABI_MINOR >= 1);
}

BOOST_AUTO_TEST_CASE(this_is_still_major_1) {
    BOOST_TEST(MEMOLIB_SDK_ABI_MAJOR == 1);
    BOOST_TEST(std::string(MEMOLIB_PLUGIN_ENTRY_SYMBOL) == "memolib_plugin_v1");
}
