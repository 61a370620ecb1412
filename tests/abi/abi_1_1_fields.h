/* What SDK 1.1 appended to 1.0's abi.h, as X-macro lists beside abi_1_0_fields.h: abi_layout_test
 * lays out both lists once with the frozen 1.1 header and once with today's, and wants the same
 * offsets. A new minor appends its fields to abi.h, never to these lists. */
#ifndef MEMOLIB_ABI_1_1_FIELDS_H
#define MEMOLIB_ABI_1_1_FIELDS_H

#include "abi_1_0_fields.h"

/* One item per line: clang-format cannot lay out X-macro lists. */
// clang-format off
#define MEMOLIB_ABI_1_1_STRUCTS(X) \
    X(memolib_answer_message_t)    \
    X(memolib_outcome_t)

#define MEMOLIB_ABI_1_1_FIELDS(X)                            \
    X(memolib_host_t, claim_nonce)                           \
    X(memolib_host_t, hmac)                                  \
    X(memolib_host_t, digest)                                \
    X(memolib_plugin_descriptor_t, on_answer)                \
    X(memolib_plugin_descriptor_t, person_facing_providers)  \
    X(memolib_answer_message_t, struct_size)                 \
    X(memolib_answer_message_t, id)                          \
    X(memolib_answer_message_t, checksum)                    \
    X(memolib_answer_message_t, status)                      \
    X(memolib_outcome_t, struct_size)                        \
    X(memolib_outcome_t, kind)                               \
    X(memolib_outcome_t, reason)                             \
    X(memolib_outcome_t, request_id)                         \
    X(memolib_outcome_t, http_status)                        \
    X(memolib_outcome_t, content_type)                       \
    X(memolib_outcome_t, body)                               \
    X(memolib_outcome_t, messages)                           \
    X(memolib_outcome_t, message_count)

#define MEMOLIB_ABI_1_1_CONSTANTS(X)   \
    X(MEMOLIB_OUTCOME_STORED)          \
    X(MEMOLIB_OUTCOME_DUPLICATE)       \
    X(MEMOLIB_OUTCOME_QUARANTINED)     \
    X(MEMOLIB_OUTCOME_ACCEPTED)        \
    X(MEMOLIB_OUTCOME_REJECTED)
// clang-format on

#endif
