#include "mime.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <gmime/gmime.h>

#include "charset.hpp"
#include "memolib/plugins/common/form_data.hpp"
#include "memolib/plugins/common/glib_ptr.hpp"
#include "memolib/plugins/common/text.hpp"

namespace memolib::plugins::email {
namespace {

using common::GCharPtr;
using common::GPtr;
using common::make_valid_utf8;

// GMime caps nesting itself (about 1024 levels); this keeps our own walk shallow whatever it does.
constexpr int kMaxDepth = 100;

// Bounds on a message's MIME structure, checked on its bytes before GMime builds an object per
// part: a message of tiny parts would otherwise cost many times its size in memory and time.
constexpr std::size_t kMaxMimeParts = 1000;
// Each multipart has a part at least; a digest of forwarded messages declares many.
constexpr std::size_t kMaxMultiparts = kMaxMimeParts;

// The options of every GMime call of the plugin, built once and only read afterwards, so they
// are shared by concurrent requests without a lock. Real mail breaks the RFCs often, hence
// loose parsing; raw 8-bit header text is read as UTF-8, else as Windows-1252.
GMimeParserOptions* parser_options() {
    static GMimeParserOptions* const kOptions = [] {
        common::ensure_gmime_initialized();
        GMimeParserOptions* options = g_mime_parser_options_new();
        const char* fallback[] = {"utf-8", "windows-1252", nullptr};
        g_mime_parser_options_set_fallback_charsets(options, fallback);
        g_mime_parser_options_set_address_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
        g_mime_parser_options_set_parameter_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
        g_mime_parser_options_set_rfc2047_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
        return options;
    }();
    return kOptions;
}

// A NUL-terminated copy for GMime's C strings; a NUL inside ends the text there, as it would
// for any C reader.
std::string c_string(std::string_view s) { return std::string(s.substr(0, s.find('\0'))); }

// A folded header value on one line (RFC 5322 2.2.3), without the surrounding whitespace.
std::string unfold(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (char c : raw) {
        if (c != '\r' && c != '\n') out.push_back(c);
    }
    return std::string(common::trim(out));
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// One RFC 2047 encoded word, its payload decoded to bytes of `charset`.
struct EncodedWord {
    std::string charset;
    std::string bytes;
    std::size_t end = 0;  // just past "?="
};

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// RFC 2047 allows 75 characters; mailers exceed it, but a bound keeps the search for a word's
// end from scanning the rest of a long header at every "=?".
constexpr std::size_t kMaxEncodedWord = 1024;

// The encoded word starting at `at` ("=?charset?B|Q?payload?="), if one does.
std::optional<EncodedWord> encoded_word_at(std::string_view whole, std::size_t at) {
    if (whole.substr(at, 2) != "=?") return std::nullopt;
    const std::string_view text = whole.substr(0, std::min(whole.size(), at + kMaxEncodedWord));
    const std::size_t q1 = text.find('?', at + 2);
    if (q1 == std::string_view::npos || q1 + 2 >= text.size() || text[q1 + 2] != '?') {
        return std::nullopt;
    }
    const char encoding = text[q1 + 1];
    const std::size_t close = text.find("?=", q1 + 3);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view charset = text.substr(at + 2, q1 - at - 2);
    const std::string_view payload = text.substr(q1 + 3, close - q1 - 3);
    for (char c : charset) {
        if (is_space(c)) return std::nullopt;
    }
    for (char c : payload) {
        if (is_space(c)) return std::nullopt;
    }
    charset = charset.substr(0, charset.find('*'));  // RFC 2231 language suffix
    EncodedWord word;
    word.charset = std::string(charset);
    word.end = close + 2;
    if (encoding == 'B' || encoding == 'b') {
        // Each word decoded on its own: its '=' padding ends its own bytes only.
        word.bytes.resize(payload.size() * 3 / 4 + 3);
        int state = 0;
        guint32 save = 0;
        const std::size_t n = g_mime_encoding_base64_decode_step(
            reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
            reinterpret_cast<unsigned char*>(word.bytes.data()), &state, &save);
        word.bytes.resize(n);
    } else if (encoding == 'Q' || encoding == 'q') {
        for (std::size_t i = 0; i < payload.size(); ++i) {
            const char c = payload[i];
            if (c == '_') {
                word.bytes.push_back(' ');
            } else if (c == '=' && i + 2 < payload.size() && hex_digit(payload[i + 1]) >= 0 &&
                       hex_digit(payload[i + 2]) >= 0) {
                word.bytes.push_back(
                    static_cast<char>(hex_digit(payload[i + 1]) * 16 + hex_digit(payload[i + 2])));
                i += 2;
            } else {
                word.bytes.push_back(c);
            }
        }
    } else {
        return std::nullopt;
    }
    return word;
}

// Appends `text` quoted for a quoted-string's inside.
void append_quoted(std::string& out, std::string_view text) {
    for (char c : text) {
        if (c == '"' || c == '\\') out.push_back('\\');
        if (c != '\r' && c != '\n') out.push_back(c);
    }
}

// Decodes the RFC 2047 encoded words of `text`, each on its own (GMime 3.2 joins adjacent
// words' base64 before decoding, so a word's '=' padding cut the rest of the text). The bytes
// of adjacent words in one charset are joined before conversion, since some mailers split a
// character across words. With `as_phrase`, each run of words becomes a quoted-string (or its
// inside, within one), so that an address list keeps its syntax for GMime's parser.
std::string decode_words(std::string_view text, bool as_phrase) {
    std::string out;
    std::string pending_raw;
    bool in_quote = false;
    std::size_t i = 0;
    const auto flush_raw = [&] {
        out += as_phrase ? pending_raw : to_utf8(pending_raw, "");
        pending_raw.clear();
    };
    while (i < text.size()) {
        std::optional<EncodedWord> word = encoded_word_at(text, i);
        if (!word) {
            const char c = text[i];
            if (as_phrase && c == '\\' && i + 1 < text.size()) {
                pending_raw.append(text.substr(i, 2));
                i += 2;
                continue;
            }
            if (c == '"') in_quote = !in_quote;
            pending_raw.push_back(c);
            ++i;
            continue;
        }
        flush_raw();
        std::string decoded;
        std::string charset = word->charset;
        std::string bytes = std::move(word->bytes);
        i = word->end;
        while (true) {
            std::size_t next = i;
            while (next < text.size() && is_space(text[next])) ++next;
            std::optional<EncodedWord> following = encoded_word_at(text, next);
            if (!following) break;
            if (!sdk::iequals(following->charset, charset)) {
                decoded += to_utf8(bytes, charset);
                bytes.clear();
                charset = following->charset;
            }
            bytes += following->bytes;
            i = following->end;
        }
        decoded += to_utf8(bytes, charset);
        if (!as_phrase) {
            out += decoded;
        } else if (in_quote) {
            append_quoted(out, decoded);
        } else {
            out.push_back('"');
            append_quoted(out, decoded);
            out.push_back('"');
        }
    }
    flush_raw();
    return out;
}

HeaderList header_list(GMimeObject* object) {
    HeaderList out;
    GMimeHeaderList* list = g_mime_object_get_header_list(object);
    if (list == nullptr) return out;
    const int count = g_mime_header_list_get_count(list);
    for (int i = 0; i < count; ++i) {
        GMimeHeader* header = g_mime_header_list_get_header_at(list, i);
        if (header == nullptr) continue;
        // The raw value, since GMime's decoded one can no longer be parsed as an address list
        // (a decoded display name may hold a comma or angle brackets).
        const char* name = g_mime_header_get_name(header);
        const char* value = g_mime_header_get_raw_value(header);
        out.emplace_back(name != nullptr ? name : "", unfold(value != nullptr ? value : ""));
    }
    return out;
}

GMimeMessage* parse_message(std::string_view bytes) {
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
    return g_mime_parser_construct_message(parser.get(), parser_options());
}

std::string media_type(GMimeObject* object) {
    GMimeContentType* type = g_mime_object_get_content_type(object);
    if (type == nullptr) return "application/octet-stream";
    GCharPtr mime(g_mime_content_type_get_mime_type(type));
    return mime ? make_valid_utf8(common::to_lower(mime.get())) : "application/octet-stream";
}

// The part's content with its transfer encoding (base64, quoted-printable…) removed.
std::string part_bytes(GMimePart* part) {
    GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
    if (wrapper == nullptr) return {};
    GPtr<GMimeStream> out(g_mime_stream_mem_new());
    if (g_mime_data_wrapper_write_to_stream(wrapper, out.get()) < 0) return {};
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
    if (bytes == nullptr || bytes->len == 0) return {};
    return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

// The decoded size of a part, counted without keeping the bytes; -1 when it cannot be decoded.
std::int64_t part_size(GMimePart* part) {
    GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
    if (wrapper == nullptr) return 0;
    GPtr<GMimeStream> counter(g_mime_stream_null_new());
    if (g_mime_data_wrapper_write_to_stream(wrapper, counter.get()) < 0) return -1;
    return static_cast<std::int64_t>(GMIME_STREAM_NULL(counter.get())->written);
}

std::string part_text(GMimePart* part) {
    const char* charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
    return to_utf8(part_bytes(part), charset != nullptr ? charset : "");
}

void append_text(std::string& to, const std::string& piece) {
    if (piece.empty()) return;
    if (!to.empty() && to.back() != '\n') to.push_back('\n');
    to += piece;
}

// The value of parameter `name` (not its RFC 2231 form) in header `header` as sent, quotes
// removed; nullopt when absent.
std::optional<std::string> raw_parameter(GMimeObject* object, const char* header,
                                         std::string_view name) {
    GMimeHeaderList* list = g_mime_object_get_header_list(object);
    GMimeHeader* found = list != nullptr ? g_mime_header_list_get_header(list, header) : nullptr;
    const char* raw = found != nullptr ? g_mime_header_get_raw_value(found) : nullptr;
    if (raw == nullptr) return std::nullopt;
    const std::string value = unfold(raw);
    std::size_t at = value.find(';');
    while (at != std::string::npos) {
        std::size_t key = at + 1;
        while (key < value.size() && is_space(value[key])) ++key;
        const std::size_t eq = value.find('=', key);
        if (eq == std::string::npos) return std::nullopt;
        const bool match =
            sdk::iequals(common::trim(std::string_view(value).substr(key, eq - key)), name);
        std::size_t v = eq + 1;
        while (v < value.size() && is_space(value[v])) ++v;
        std::string out;
        if (v < value.size() && value[v] == '"') {
            for (++v; v < value.size() && value[v] != '"'; ++v) {
                if (value[v] == '\\' && v + 1 < value.size()) ++v;
                out.push_back(value[v]);
            }
            at = value.find(';', v);
        } else {
            at = value.find(';', v);
            out = std::string(common::trim(std::string_view(value).substr(
                v, at == std::string::npos ? std::string::npos : at - v)));
        }
        if (match) return out;
    }
    return std::nullopt;
}

// The attachment's file name: GMime reads RFC 2231 values, but decodes encoded words in a
// quoted value (a common non-standard form) the way it decodes headers, so those are ours.
std::string disposition_filename(GMimeObject* object) {
    const char* name = g_mime_object_get_content_disposition_parameter(object, "filename");
    std::optional<std::string> raw = raw_parameter(object, "Content-Disposition", "filename");
    if (name == nullptr) {
        name = g_mime_object_get_content_type_parameter(object, "name");
        raw = raw_parameter(object, "Content-Type", "name");
    }
    if (raw && raw->find("=?") != std::string::npos) return decode_header_text(*raw);
    return name != nullptr ? make_valid_utf8(name) : std::string();
}

sdk::Attachment describe_message_part(GMimeObject* object) {
    sdk::Attachment attachment;
    attachment.name = disposition_filename(object);
    attachment.content_type = media_type(object);
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    attachment.size = 0;
    if (inner != nullptr) {
        GPtr<GMimeStream> counter(g_mime_stream_null_new());
        if (g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, counter.get()) >= 0) {
            attachment.size = static_cast<std::int64_t>(GMIME_STREAM_NULL(counter.get())->written);
        } else {
            attachment.size = -1;
        }
    }
    return attachment;
}

void walk(GMimeObject* object, int depth, EmailFields& out) {
    if (object == nullptr || depth > kMaxDepth) return;
    // An attached message is one attachment: its own text is not the text of this one.
    if (GMIME_IS_MESSAGE_PART(object)) {
        add_attachment(out, describe_message_part(object));
        return;
    }
    if (GMIME_IS_MULTIPART(object)) {
        GMimeMultipart* multipart = GMIME_MULTIPART(object);
        const int count = g_mime_multipart_get_count(multipart);
        for (int i = 0; i < count; ++i) {
            walk(g_mime_multipart_get_part(multipart, i), depth + 1, out);
        }
        return;
    }
    if (!GMIME_IS_PART(object)) return;
    GMimePart* part = GMIME_PART(object);
    const std::string filename = disposition_filename(object);
    const bool attached = g_mime_part_is_attachment(part) || !filename.empty();
    GMimeContentType* type = g_mime_object_get_content_type(object);
    // Inline text parts make the body; several of them (text around an inline image) are
    // joined in order, so that nothing the sender wrote is lost.
    if (!attached && type != nullptr && g_mime_content_type_is_type(type, "text", "plain")) {
        append_text(out.text, part_text(part));
        return;
    }
    if (!attached && type != nullptr && g_mime_content_type_is_type(type, "text", "html")) {
        out.html += part_text(part);
        return;
    }
    sdk::Attachment attachment;
    attachment.name = filename;
    attachment.content_type = media_type(object);
    attachment.size = part_size(part);
    add_attachment(out, std::move(attachment));
}

std::string header_or(const HeaderList& headers, std::string_view name) {
    return find_header(headers, name).value_or(std::string());
}

std::optional<Mailbox> first_mailbox_in(InternetAddressList* list, int depth) {
    if (list == nullptr || depth > 8) return std::nullopt;
    const int count = internet_address_list_length(list);
    for (int i = 0; i < count; ++i) {
        InternetAddress* address = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
            const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
            std::string normalized = common::normalize_email(addr != nullptr ? addr : "");
            if (normalized.empty()) continue;
            const char* name = internet_address_get_name(address);
            Mailbox mailbox;
            mailbox.address = make_valid_utf8(normalized);
            mailbox.name =
                name != nullptr ? std::string(common::trim(make_valid_utf8(name))) : std::string();
            return mailbox;
        }
        if (INTERNET_ADDRESS_IS_GROUP(address)) {
            auto found = first_mailbox_in(
                internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), depth + 1);
            if (found) return found;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<Mailbox> first_mailbox(std::string_view list) {
    const std::string text = c_string(list);
    if (common::trim(text).empty()) return std::nullopt;
    // Encoded words are decoded here, not by GMime (see decode_words).
    const std::string phrase =
        text.find("=?") == std::string::npos ? text : c_string(decode_words(text, true));
    GPtr<InternetAddressList> parsed(internet_address_list_parse(parser_options(), phrase.c_str()));
    if (auto found = first_mailbox_in(parsed.get(), 0)) return found;
    // GMime gives up on a few broken lists that the simpler common reading still understands.
    std::string name;
    std::string address = common::mailbox_address(text, &name);
    if (address.empty()) return std::nullopt;
    return Mailbox{make_valid_utf8(address), decode_header_text(name)};
}

std::string decode_header_text(std::string_view raw) {
    const std::string text = c_string(raw);
    if (text.find("=?") == std::string::npos && common::is_valid_utf8(text)) {
        return make_valid_utf8(text);
    }
    return make_valid_utf8(decode_words(text, false));
}

std::string decode_message_id(std::string_view raw) {
    const std::string text = c_string(common::trim(raw));
    if (text.empty()) return {};
    common::ensure_gmime_initialized();
    GCharPtr decoded(g_mime_utils_decode_message_id(text.c_str()));
    if (decoded && *decoded != '\0') return make_valid_utf8(common::trim(decoded.get()));
    std::string_view id = text;
    if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
    return make_valid_utf8(common::trim(id));
}

std::string decode_references(std::string_view raw) {
    const std::string text = c_string(raw);
    if (common::trim(text).empty()) return {};
    std::unique_ptr<GMimeReferences, decltype(&g_mime_references_free)> refs(
        g_mime_references_parse(parser_options(), text.c_str()), &g_mime_references_free);
    std::string out;
    const int count = refs ? g_mime_references_length(refs.get()) : 0;
    for (int i = 0; i < count; ++i) {
        const char* id = g_mime_references_get_message_id(refs.get(), i);
        if (id == nullptr || *id == '\0') continue;
        if (!out.empty()) out.push_back(' ');
        out += id;
    }
    return out.empty() ? decode_message_id(text) : make_valid_utf8(out);
}

// `text` with the colon of a "+hh:mm" zone removed: Postmark writes its dates' zones so, and
// GMime reads only "+hhmm" as a zone.
std::string without_zone_colon(std::string text) {
    const auto digit = [&text](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
    for (std::size_t i = 1; i + 6 <= text.size(); ++i) {
        if ((text[i] == '+' || text[i] == '-') && text[i - 1] == ' ' && digit(i + 1) &&
            digit(i + 2) && text[i + 3] == ':' && digit(i + 4) && digit(i + 5) &&
            (i + 6 == text.size() || text[i + 6] == ' ')) {
            text.erase(i + 3, 1);
            break;
        }
    }
    return text;
}

std::optional<long long> decode_date_ms(std::string_view raw) {
    const std::string text = without_zone_colon(c_string(common::trim(raw)));
    if (text.empty()) return std::nullopt;
    // Some providers hand an ISO 8601 time where a Date header would be; GMime reads RFC 5322
    // dates, with the obsolete and broken forms real mailers still write.
    if (auto ms = common::parse_iso8601_ms(text); ms && *ms > 0) return ms;
    common::ensure_gmime_initialized();
    GDateTime* date = g_mime_utils_header_decode_date(text.c_str());
    if (date == nullptr) return std::nullopt;
    const long long ms = static_cast<long long>(g_date_time_to_unix(date)) * 1000 +
                         g_date_time_get_microsecond(date) / 1000;
    g_date_time_unref(date);
    if (ms <= 0) return std::nullopt;
    return ms;
}

// Checks the bounds above: every boundary the message declares, then every line that opens
// one of them (looked up by the token the line carries, so the scan stays linear). Text that
// merely looks like a boundary only makes the count stricter.
bool within_mime_limits(std::string_view bytes, const std::string& field, Problems& problems) {
    std::unordered_set<std::string_view> boundaries;
    static constexpr std::string_view kKey = "boundary=";
    for (std::size_t at = 0; at + kKey.size() <= bytes.size(); ++at) {
        if (!sdk::iequals(bytes.substr(at, kKey.size()), kKey)) continue;
        std::size_t v = at + kKey.size();
        std::size_t end = 0;
        if (v < bytes.size() && bytes[v] == '"') {
            ++v;
            end = bytes.find_first_of("\"\r\n", v);
        } else {
            end = bytes.find_first_of("; \t\r\n", v);
        }
        if (end == std::string_view::npos) end = bytes.size();
        const std::string_view boundary = bytes.substr(v, end - v);
        if (boundary.empty() || boundaries.count(boundary) != 0) continue;
        if (boundaries.size() == kMaxMultiparts) {
            problems.add(field, "too_many_parts",
                         "the message holds more than " + std::to_string(kMaxMultiparts) +
                             " multiparts, the most a message may nest");
            return false;
        }
        boundaries.insert(boundary);
    }
    if (boundaries.empty()) return true;
    std::size_t parts = 0;
    for (std::size_t line = 0; line < bytes.size();) {
        std::size_t eol = bytes.find('\n', line);
        if (eol == std::string_view::npos) eol = bytes.size();
        if (bytes.substr(line, 2) == "--") {
            // "--boundary", "--boundary--", either with trailing white space.
            std::string_view token = bytes.substr(line + 2, eol - line - 2);
            while (!token.empty() &&
                   (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) {
                token.remove_suffix(1);
            }
            const bool opens = boundaries.count(token) != 0;
            if (!opens && token.size() >= 2 && token.substr(token.size() - 2) == "--") {
                token.remove_suffix(2);
            }
            if (opens || boundaries.count(token) != 0) {
                if (++parts > kMaxMimeParts) {
                    problems.add(field, "too_many_parts",
                                 "the message holds more than " + std::to_string(kMaxMimeParts) +
                                     " MIME parts, the most a message may have");
                    return false;
                }
            }
        }
        line = eol + 1;
    }
    return true;
}

bool read_message(std::string_view bytes, const std::string& field, EmailFields& out,
                  Problems& problems) {
    // An mbox "From " separator line, which a local delivery pipe may leave in front, is not a
    // header field.
    if (bytes.substr(0, 5) == "From ") {
        const std::size_t eol = bytes.find('\n');
        bytes = eol == std::string_view::npos ? std::string_view{} : bytes.substr(eol + 1);
    }
    if (!within_mime_limits(bytes, field, problems)) return false;
    GPtr<GMimeMessage> message(parse_message(bytes));
    if (!message) {
        problems.add(field, "malformed_message", "no RFC 5322 message could be read");
        return false;
    }
    const HeaderList headers = header_list(GMIME_OBJECT(message.get()));
    if (headers.empty()) {
        problems.add(field, "malformed_message",
                     "the message has no header fields (expected RFC 5322 headers, a blank "
                     "line, then the body)");
        return false;
    }
    out.from = header_or(headers, "From");
    if (out.from.empty()) out.from = header_or(headers, "Sender");
    if (out.envelope_from.empty()) out.envelope_from = header_or(headers, "Return-Path");
    out.to = header_or(headers, "To");
    out.cc = header_or(headers, "Cc");
    out.reply_to = header_or(headers, "Reply-To");
    out.subject = header_or(headers, "Subject");
    out.message_id = header_or(headers, "Message-ID");
    out.in_reply_to = header_or(headers, "In-Reply-To");
    out.references = header_or(headers, "References");
    out.date = header_or(headers, "Date");
    walk(g_mime_message_get_mime_part(message.get()), 0, out);
    return true;
}

HeaderList read_header_block(std::string_view block) {
    std::string bytes = c_string(block);
    bytes += "\r\n\r\n";
    GPtr<GMimeMessage> message(parse_message(bytes));
    if (!message) return {};
    return header_list(GMIME_OBJECT(message.get()));
}

}  // namespace memolib::plugins::email
