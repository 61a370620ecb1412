/* SDK 1.1's layout, computed from the frozen 1.1 header: abi_layout_test compares it with today's.
 */
#include <stddef.h>

#include "abi_1_1.h"
#include "abi_1_1_fields.h"

#define FIELD(type, field) {#type "." #field, offsetof(type, field), sizeof(((type*)0)->field)},
#define STRUCT(type) {#type, 0, sizeof(type)},
#define CONSTANT(name) {#name, (unsigned long)(name), 0},

const memolib_abi_layout_entry memolib_frozen_1_1_layout[] = {
    MEMOLIB_ABI_1_0_STRUCTS(STRUCT) MEMOLIB_ABI_1_1_STRUCTS(STRUCT) MEMOLIB_ABI_1_0_FIELDS(FIELD)
        MEMOLIB_ABI_1_1_FIELDS(FIELD) MEMOLIB_ABI_1_0_CONSTANTS(CONSTANT)
            MEMOLIB_ABI_1_1_CONSTANTS(CONSTANT){NULL, 0, 0}};
