#include <algorithm>
#include <cstring>

// CLD2 uses FILE without including <cstdio>.
#include <cstdio>

#include <cld2/internal/lang_script.h>
#include <cld2/public/compact_lang_det.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include "stages/stages.hpp"

namespace memolib::core {

namespace {

// Appends `c`, folding runs of spaces into one.
void append_folded(std::string& out, char c) {
    if (c != ' ' || out.back() != ' ') out += c;
}

// Lower-cases an ASCII character; anything that is not a letter or digit becomes a space.
char fold_ascii(char c) {
    if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : ' ';
}

// Appends one code point of a folded mapping: accents (non-spacing marks) dropped, letters,
// digits and other marks kept, anything else a word boundary.
void append_folded(std::string& out, UChar32 c) {
    const std::uint32_t category = U_GET_GC_MASK(c);
    if ((category & U_GC_MN_MASK) != 0) return;
    if ((category & (U_GC_L_MASK | U_GC_N_MASK | U_GC_M_MASK)) == 0) {
        append_folded(out, ' ');
        return;
    }
    char utf8[U8_MAX_LENGTH];
    int32_t bytes = 0;
    U8_APPEND_UNSAFE(utf8, bytes, c);
    out.append(utf8, static_cast<std::size_t>(bytes));
}

// ICU's NFKC_Casefold mapping of a character is already fully decomposed: case and width
// folded ("ＵＲＧＥＮＴ", "Straße"), accents split off their letters so that they can be
// dropped. Taken a character at a time, it skips the reordering of combining marks, which
// only matters to marks this fold drops. Word boundaries are runs of letters and digits by
// Unicode's categories: UAX #29 would keep "l’urgence" as one word.
void fold_into(std::string_view text, std::string& out) {
    UErrorCode error = U_ZERO_ERROR;
    const icu::Normalizer2* casefold = icu::Normalizer2::getNFKCCasefoldInstance(error);
    icu::UnicodeString mapping;
    const auto length = static_cast<int32_t>(text.size());
    for (int32_t i = 0; i < length;) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            append_folded(out, fold_ascii(text[i++]));
            continue;
        }
        UChar32 c = 0;
        U8_NEXT(text.data(), i, length, c);
        // Invalid UTF-8 is a word boundary.
        if (c < 0) {
            append_folded(out, ' ');
        } else if (U_SUCCESS(error) && casefold->getDecomposition(c, mapping)) {
            for (int32_t j = 0; j < mapping.length(); j += U16_LENGTH(mapping.char32At(j)))
                append_folded(out, mapping.char32At(j));
        } else {
            append_folded(out, c);
        }
    }
}

// Folds case, width and accents, and turns every run of characters that are not letters or
// digits into one space, with a space at both ends, so that keywords match whole words.
std::string fold(std::string_view text) {
    std::string out = " ";
    out.reserve(text.size() + 2);
    fold_into(text, out);
    append_folded(out, ' ');
    return out;
}

// Keeps what a person reads of an HTML body, for language detection when there is no text.
std::string strip_tags(std::string_view html) {
    std::string out;
    bool in_tag = false;
    for (char c : html) {
        if (c == '<')
            in_tag = true;
        else if (c == '>') {
            in_tag = false;
            out += ' ';
        } else if (!in_tag) {
            out += c;
        }
    }
    return out;
}

// Below this many letters CLD2's guess is noise.
constexpr std::size_t kMinLetters = 12;
// The opening of a message tells its language: a few sentences are all CLD2 needs for a
// reliable guess, and its cost grows with every byte it reads.
constexpr std::size_t kMaxLanguageBytes = 256;

std::string detect_language(std::string_view text) {
    // Cut at a character boundary.
    std::size_t length = std::min(text.size(), kMaxLanguageBytes);
    while (length < text.size() && length > 0 && (text[length] & 0xC0) == 0x80) --length;
    std::size_t letters = 0;
    for (char c : text.substr(0, length))
        letters += (c & 0x80) != 0 || std::isalpha(static_cast<unsigned char>(c)) ? 1 : 0;
    if (letters < kMinLetters) return "unknown";
    bool reliable = false;
    CLD2::Language lang = CLD2::DetectLanguage(text.data(), static_cast<int>(length),
                                               /*is_plain_text=*/true, &reliable);
    if (!reliable || lang == CLD2::UNKNOWN_LANGUAGE) return "unknown";
    std::string code = CLD2::LanguageCode(lang);
    // CLD2 also names scripts and variants ("zh-Hant", "xxx"): only ISO 639-1 codes are kept.
    if (code.size() > 2 && code[2] == '-') code.resize(2);
    return code.size() == 2 ? code : "unknown";
}

// Sets each message's language (CLD2) and priority (keyword rules from the YAML, matched as
// whole words, ignoring case and accents; high wins over low).
class EnrichStage final : public Stage {
public:
    EnrichStage(const std::vector<std::string>& high, const std::vector<std::string>& low) {
        for (const std::string& k : high) high_.push_back(fold(k));
        for (const std::string& k : low) low_.push_back(fold(k));
    }
    const char* name() const override { return "enrich"; }

    StageResult process(Exchange& ex, const Resume&) const override {
        for (NormalizedMessage& m : ex.messages) {
            std::string stripped;
            std::string_view body = m.text;
            if (body.empty()) body = stripped = strip_tags(m.html);
            std::string joined;
            std::string_view all = body;
            if (!m.subject.empty()) {
                joined.reserve(m.subject.size() + 1 + body.size());
                joined.append(m.subject).append(1, '\n').append(body);
                all = joined;
            }
            m.language = detect_language(all);
            std::string folded = fold(all);
            m.priority = matches(folded, high_) ? "high" : matches(folded, low_) ? "low" : "normal";
        }
        return StageResult::kContinue;
    }

private:
    static bool matches(const std::string& folded, const std::vector<std::string>& keywords) {
        // glibc's memmem skips ahead by the keyword's length; std::string::find stopped at
        // every space, the first letter of every folded keyword.
        return std::any_of(keywords.begin(), keywords.end(), [&](const std::string& k) {
            return k.size() > 2 &&
                   memmem(folded.data(), folded.size(), k.data(), k.size()) != nullptr;
        });
    }

    std::vector<std::string> high_;
    std::vector<std::string> low_;
};

}  // namespace

std::string fold_for_keywords(std::string_view text) { return fold(text); }

EnrichFactory::Settings EnrichFactory::settings(const ConfigValue& pipeline) {
    const ConfigValue& priority = pipeline.at("priority");
    return {priority.strings("high"), priority.strings("low")};
}

std::string_view EnrichFactory::settings_schema() const {
    return R"yaml(
type: object
properties:
  high: {type: list, items: {type: string}, default: [urgent, urgence, asap, "au plus vite", immédiatement], description: "Keywords that make a message high priority"}
  low: {type: list, items: {type: string}, default: [newsletter], description: "Keywords that make a message low priority"}
)yaml";
}

std::unique_ptr<Stage> EnrichFactory::make(const ConfigValue& pipeline, const StageContext&) const {
    const Settings s = settings(pipeline);
    return std::make_unique<EnrichStage>(s.high, s.low);
}

}  // namespace memolib::core
