/* Every field and constant of SDK 1.0's abi.h, as X-macro lists: abi_layout_test lays them
 * out once with the frozen 1.0 header and once with today's, and wants the same offsets. A new
 * minor appends its fields to abi.h, never to these lists. */
#ifndef MEMOLIB_ABI_1_0_FIELDS_H
#define MEMOLIB_ABI_1_0_FIELDS_H

/* One item per line: clang-format cannot lay out X-macro lists. */
// clang-format off
#define MEMOLIB_ABI_1_0_STRUCTS(X) \
    X(memolib_str_t)               \
    X(memolib_bytes_t)             \
    X(memolib_pair_t)              \
    X(memolib_request_t)           \
    X(memolib_attachment_t)        \
    X(memolib_message_t)           \
    X(memolib_host_t)              \
    X(memolib_config_t)            \
    X(memolib_plugin_descriptor_t)

#define MEMOLIB_ABI_1_0_FIELDS(X)                          \
    X(memolib_str_t, ptr)                                  \
    X(memolib_str_t, len)                                  \
    X(memolib_bytes_t, ptr)                                \
    X(memolib_bytes_t, len)                                \
    X(memolib_pair_t, name)                                \
    X(memolib_pair_t, value)                               \
    X(memolib_request_t, struct_size)                      \
    X(memolib_request_t, method)                           \
    X(memolib_request_t, path)                             \
    X(memolib_request_t, query)                            \
    X(memolib_request_t, content_type)                     \
    X(memolib_request_t, public_url)                       \
    X(memolib_request_t, headers)                          \
    X(memolib_request_t, header_count)                     \
    X(memolib_request_t, body)                             \
    X(memolib_request_t, remote_address)                   \
    X(memolib_request_t, received_at_ms)                   \
    X(memolib_attachment_t, struct_size)                   \
    X(memolib_attachment_t, name)                          \
    X(memolib_attachment_t, content_type)                  \
    X(memolib_attachment_t, size)                          \
    X(memolib_attachment_t, url)                           \
    X(memolib_attachment_t, provider_id)                   \
    X(memolib_message_t, struct_size)                      \
    X(memolib_message_t, provider)                         \
    X(memolib_message_t, external_id)                      \
    X(memolib_message_t, sender)                           \
    X(memolib_message_t, sender_name)                      \
    X(memolib_message_t, recipient)                        \
    X(memolib_message_t, subject)                          \
    X(memolib_message_t, text)                             \
    X(memolib_message_t, html)                             \
    X(memolib_message_t, attachments)                      \
    X(memolib_message_t, attachment_count)                 \
    X(memolib_message_t, provider_timestamp_ms)            \
    X(memolib_message_t, metadata_json)                    \
    X(memolib_host_t, struct_size)                         \
    X(memolib_host_t, ctx)                                 \
    X(memolib_host_t, emit_message)                        \
    X(memolib_host_t, add_error)                           \
    X(memolib_host_t, set_response)                        \
    X(memolib_host_t, log)                                 \
    X(memolib_config_t, struct_size)                       \
    X(memolib_config_t, entries)                           \
    X(memolib_config_t, entry_count)                       \
    X(memolib_config_t, channel)                           \
    X(memolib_plugin_descriptor_t, struct_size)            \
    X(memolib_plugin_descriptor_t, abi_major)              \
    X(memolib_plugin_descriptor_t, abi_minor)              \
    X(memolib_plugin_descriptor_t, name)                   \
    X(memolib_plugin_descriptor_t, version)                \
    X(memolib_plugin_descriptor_t, description)            \
    X(memolib_plugin_descriptor_t, status)                 \
    X(memolib_plugin_descriptor_t, providers)              \
    X(memolib_plugin_descriptor_t, content_types)          \
    X(memolib_plugin_descriptor_t, default_max_body_bytes) \
    X(memolib_plugin_descriptor_t, default_rate_requests)  \
    X(memolib_plugin_descriptor_t, default_rate_window_ms) \
    X(memolib_plugin_descriptor_t, config_schema_yaml)     \
    X(memolib_plugin_descriptor_t, on_create)              \
    X(memolib_plugin_descriptor_t, on_destroy)             \
    X(memolib_plugin_descriptor_t, on_verify)              \
    X(memolib_plugin_descriptor_t, on_handshake)           \
    X(memolib_plugin_descriptor_t, on_parse)

#define MEMOLIB_ABI_1_0_CONSTANTS(X)  \
    X(MEMOLIB_OK)                     \
    X(MEMOLIB_UNAUTHORIZED)           \
    X(MEMOLIB_INVALID)                \
    X(MEMOLIB_UNSUPPORTED_MEDIA_TYPE) \
    X(MEMOLIB_NOT_HANDLED)            \
    X(MEMOLIB_INTERNAL_ERROR)         \
    X(MEMOLIB_FORBIDDEN)              \
    X(MEMOLIB_LOG_DEBUG)              \
    X(MEMOLIB_LOG_INFO)               \
    X(MEMOLIB_LOG_WARN)               \
    X(MEMOLIB_LOG_ERROR)
// clang-format on

/* One laid-out item: "type.field" (or "type" alone, or a constant's name) and its numbers. */
typedef struct memolib_abi_layout_entry {
    const char* name;
    unsigned long offset_or_value;
    unsigned long size;
} memolib_abi_layout_entry;

#endif
