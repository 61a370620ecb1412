// The log never holds a secret, a raw phone number or a raw e-mail address: every fixture of
// every plugin goes through the real binary (dry run, then for real), with every secret set and
// the most verbose log level, plus bad requests whose error paths log too; then the whole log
// is searched for each raw value.
#define BOOST_TEST_MODULE e2e_log_masking
#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "memolib/plugins/common/crypto.hpp"
#include "memolib/plugins/common/form_data.hpp"
#include "support/e2e_fixture.hpp"
#include "support/http_client.hpp"
#include "support/json.hpp"

using namespace memolib::test;
namespace common = memolib::plugins::common;
namespace fs = std::filesystem;

namespace {

constexpr const char* kTypeformSecret = "tf-secret-Q7mZ2vK9pL4x";
constexpr const char* kMetaAppSecret = "meta-app-secret-W3nR8bT1yH6c";
constexpr const char* kMetaVerifyToken = "meta-verify-token-J5dF0sG2kA9e";
constexpr const char* kTwilioToken = "twilio-auth-token-X4cV7bN1mQ8z";
constexpr const char* kVonageSecret = "vonage-sig-secret-P2oI9uY6tR3w";
constexpr const char* kMailgunKey = "mailgun-signing-key-L8kJ5hG2fD0s";
constexpr const char* kPostmarkAuth = "postmark-user:postmark-pass-Z1xC4vB7nM0q";
constexpr const char* kAdminToken = "admin-token-E6rT9yU2iO5p";
// Credentials a client sends wrongly: the log must not echo them either.
constexpr const char* kWrongPostmarkAuth = "postmark-user:wrong-pass-S3dF6gH9jK2l";
constexpr const char* kWrongSecret = "wrong-secret-A1sD4fG7hJ0k";

constexpr const char* kTwilioWhatsappUrl = "https://hooks.example.org/webhooks/whatsapp";
constexpr const char* kTwilioSmsUrl = "https://hooks.example.org/webhooks/sms";
constexpr const char* kJson = "application/json";
constexpr const char* kForm = "application/x-www-form-urlencoded";

// Personal data that only the bad requests below carry (the fixtures carry the rest).
constexpr const char* kProbeEmail = "leak.probe@example.net";
constexpr const char* kProbeEmail2 = "leak.other@example.net";
constexpr const char* kProbePhone = "+33698765432";
constexpr const char* kProbePhoneNational = "06 98 76 54 32";
constexpr const char* kProbeMsisdn = "447700900777";

/// One file of plugins/<plugin>/tests/fixtures, and how its provider sends it.
struct FixtureFile {
    std::string plugin;  ///< also the channel it is posted to
    std::string name;    ///< path under fixtures/, e.g. "meta/text.json"
    std::string content;
    std::string content_type;  ///< empty for a GET query string
    bool query = false;        ///< a `.query` file: GET with this query string

    std::string origin() const { return plugin + "/" + name; }
    bool starts_with(const char* prefix) const {
        return fs::path(name).filename().string().rfind(prefix, 0) == 0;
    }
};

std::string url_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(s[i + 1]) &&
                   std::isxdigit(s[i + 2])) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string url_encode(const std::string& s) {
    constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    return out;
}

std::string to_form(const common::FormPairs& pairs) {
    std::string out;
    for (const auto& [name, value] : pairs) {
        out += (out.empty() ? "" : "&") + url_encode(name) + "=" + url_encode(value);
    }
    return out;
}

// The boundary is the fixture's first line minus its leading "--": no list to keep in step.
std::string multipart_type(const std::string& body) {
    std::string first = body.substr(0, body.find('\n'));
    if (!first.empty() && first.back() == '\r') first.pop_back();
    BOOST_REQUIRE_MESSAGE(first.rfind("--", 0) == 0, "a multipart fixture starts with --boundary");
    return "multipart/form-data; boundary=" + first.substr(2);
}

/// Every fixture file of every plugin (README.md and dot files excepted), sorted.
std::vector<FixtureFile> all_fixtures() {
    std::vector<FixtureFile> out;
    for (const auto& plugin_dir : fs::directory_iterator(source_directory() / "plugins")) {
        const fs::path root = plugin_dir.path() / "tests" / "fixtures";
        if (!fs::is_directory(root)) continue;
        for (const auto& entry : fs::recursive_directory_iterator(root)) {
            const std::string file = entry.path().filename().string();
            if (!entry.is_regular_file() || file == "README.md" || file[0] == '.') continue;
            FixtureFile f;
            f.plugin = plugin_dir.path().filename().string();
            f.name = fs::relative(entry.path(), root).generic_string();
            f.content = read_file(entry.path());
            const std::string ext = entry.path().extension().string();
            if (ext == ".json") {
                f.content_type = kJson;
            } else if (ext == ".urlencoded") {
                f.content_type = kForm;
            } else if (ext == ".multipart") {
                f.content_type = multipart_type(f.content);
            } else if (ext == ".eml") {
                f.content_type = "message/rfc822";
            } else if (ext == ".query") {
                f.query = true;
            } else {
                BOOST_FAIL("fixture " << f.origin() << ": no rule for posting a '" << ext
                                      << "' file; teach this test how its provider sends it");
            }
            out.push_back(std::move(f));
        }
    }
    std::sort(out.begin(), out.end(),
              [](const FixtureFile& a, const FixtureFile& b) { return a.origin() < b.origin(); });
    return out;
}

std::string twilio_signature(const std::string& url, const std::string& body) {
    common::FormPairs params = common::parse_urlencoded(body);
    std::stable_sort(params.begin(), params.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string data = url;
    for (const auto& [name, value] : params) data += name + value;
    return common::base64_encode(common::hmac_sha1(kTwilioToken, data));
}

long long now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// A request ready to send: the fixture, signed as its provider would where that is cheap.
/// Vonage and the multipart Mailgun capture stay unsigned: `verify: report` logs their failed
/// check and lets them through, so that path is logged too.
HttpRequest request_for(const FixtureFile& f, bool dry_run, const std::string& secret_suffix = "") {
    HttpRequest r;
    const std::string channel = f.plugin + secret_suffix;
    const std::string query = dry_run ? "dry_run=1" : "";
    const auto with_query = [&](const std::string& base) {
        return query.empty() ? base : base + "?" + query;
    };
    r.body = f.content;
    if (f.query) {
        r.method = "GET";
        r.target = "/webhooks/" + channel + "?" + f.content + (dry_run ? "&dry_run=1" : "");
        r.body.clear();
        return r;
    }
    r.method = "POST";
    r.target = with_query("/webhooks/" + channel);
    r.headers.emplace_back("Content-Type", f.content_type);
    if (f.plugin == "whatsapp" && f.content_type == kJson) {
        r.headers.emplace_back(
            "X-Hub-Signature-256",
            "sha256=" + common::hex_encode(common::hmac_sha256(kMetaAppSecret, r.body)));
    } else if (f.plugin == "whatsapp" && f.content_type == kForm) {
        r.headers.emplace_back("X-Twilio-Signature",
                               twilio_signature(with_query(kTwilioWhatsappUrl), r.body));
    } else if (f.plugin == "sms" && f.starts_with("twilio")) {
        r.headers.emplace_back("X-Twilio-Signature",
                               twilio_signature(with_query(kTwilioSmsUrl), r.body));
    } else if (f.plugin == "form" && f.starts_with("typeform")) {
        r.headers.emplace_back(
            "Typeform-Signature",
            "sha256=" + common::base64_encode(common::hmac_sha256(kTypeformSecret, r.body)));
    } else if (f.plugin == "email" && f.starts_with("postmark")) {
        r.headers.emplace_back("Authorization", "Basic " + common::base64_encode(kPostmarkAuth));
    } else if (f.plugin == "email" && f.content_type == kForm) {
        // Mailgun signs timestamp + token; the fixture's own are too old.
        common::FormPairs pairs = common::parse_urlencoded(r.body);
        const std::string timestamp = std::to_string(now_seconds());
        const std::string token = random_hex(50);
        for (auto& [name, value] : pairs) {
            if (name == "timestamp") value = timestamp;
            if (name == "token") value = token;
            if (name == "signature")
                value = common::hex_encode(common::hmac_sha256(kMailgunKey, timestamp + token));
        }
        r.body = to_form(pairs);
    }
    return r;
}

std::vector<std::pair<std::string, std::string>> channel_secrets() {
    return {{"typeform_secret", yaml_quote(kTypeformSecret)},
            {"app_secret", yaml_quote(kMetaAppSecret)},
            {"verify_token", yaml_quote(kMetaVerifyToken)},
            {"twilio_auth_token", yaml_quote(kTwilioToken)},
            {"vonage_signature_secret", yaml_quote(kVonageSecret)},
            {"mailgun_signing_key", yaml_quote(kMailgunKey)},
            {"postmark_basic_auth", yaml_quote(kPostmarkAuth)}};
}

/// The channel `name` served by `plugin`, with every secret that plugin takes.
ChannelConfig channel(const std::string& name, const std::string& plugin,
                      const std::string& verify) {
    ChannelConfig c{name, {{"plugin", plugin}, {"verify", verify}}};
    const std::map<std::string, std::vector<std::string>> keys = {
        {"form", {"typeform_secret"}},
        {"whatsapp", {"app_secret", "verify_token", "twilio_auth_token"}},
        {"sms", {"twilio_auth_token", "vonage_signature_secret"}},
        {"email", {"mailgun_signing_key", "postmark_basic_auth"}}};
    for (const auto& [key, value] : channel_secrets()) {
        const auto& wanted = keys.at(plugin);
        if (std::find(wanted.begin(), wanted.end(), key) != wanted.end())
            c.settings.emplace_back(key, value);
    }
    if (plugin == "whatsapp") c.settings.emplace_back("public_url", yaml_quote(kTwilioWhatsappUrl));
    if (plugin == "sms") c.settings.emplace_back("public_url", yaml_quote(kTwilioSmsUrl));
    return c;
}

/// A value that must not appear in the log, and where the test got it from.
struct Probe {
    enum class Kind { kEmail, kPhone, kSecret };
    Kind kind;
    std::string value;
    std::string origin;
};

const char* kind_name(Probe::Kind kind) {
    switch (kind) {
        case Probe::Kind::kEmail:
            return "e-mail address";
        case Probe::Kind::kPhone:
            return "phone number";
        case Probe::Kind::kSecret:
            return "secret";
    }
    return "";
}

/// The value as a failure message may show it: enough to find it, not the value itself.
std::string masked(const std::string& value) {
    if (value.size() <= 4) return std::string(value.size(), '*');
    return value.substr(0, 2) + std::string(value.size() - 4, '*') + value.substr(value.size() - 2);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string digits_of(const std::string& s) {
    std::string out;
    for (const char c : s) {
        if (std::isdigit(static_cast<unsigned char>(c))) out += c;
    }
    return out;
}

class ProbeSet {
public:
    void add(Probe::Kind kind, const std::string& value, const std::string& origin) {
        if (value.empty()) return;
        const std::string key = kind == Probe::Kind::kEmail ? lower(value) : value;
        if (seen_.insert(key).second) probes_.push_back({kind, key, origin});
    }

    /// A phone number in each spelling the log could betray it in: E.164, the same digits
    /// without '+' (as Meta's wa_id and Vonage's msisdn carry it).
    void add_phone(const std::string& e164, const std::string& origin) {
        add(Probe::Kind::kPhone, e164, origin);
        if (digits_of(e164).size() >= 8) add(Probe::Kind::kPhone, digits_of(e164), origin);
    }

    std::size_t count(Probe::Kind kind) const {
        return static_cast<std::size_t>(std::count_if(
            probes_.begin(), probes_.end(), [&](const Probe& p) { return p.kind == kind; }));
    }
    const std::vector<Probe>& probes() const { return probes_; }

private:
    std::set<std::string> seen_;
    std::vector<Probe> probes_;
};

/// What a fixture file says, as a reader would see it: form and query bodies URL-decoded.
std::string readable(const FixtureFile& f) {
    return f.query || f.content_type == kForm ? url_decode(f.content) : f.content;
}

// What the fixtures hold as personal data, found by pattern rather than listed by hand:
// - every e-mail-address-shaped token, Message-IDs included (they often embed the sender's
//   address, and the log has its own request id to name a request);
// - every E.164 number (+ and 8 to 15 digits; spaces, dots, dashes and brackets inside, as in
//   "+33 6 12 …" or "+1 (415) 555-0829", allowed);
// - the values of JSON keys that name a phone number (`phone`, `wa_id`, `msisdn`…), which
//   providers write without '+';
// - national spellings ("06 12 34 56 78", "(650) 555-1234") only when their digits end with the
//   last 8 digits of a number a plugin normalized: a bare run of 8+ digits in a fixture is as
//   often an id, a timestamp or a media id, which are not personal data.
void add_fixture_values(const FixtureFile& f, const std::vector<std::string>& normalized_phones,
                        ProbeSet& probes) {
    const std::string text = readable(f);
    static const std::regex kEmail(R"([A-Za-z0-9._%+=-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)");
    for (std::sregex_iterator it(text.begin(), text.end(), kEmail), end; it != end; ++it) {
        const std::string address = it->str();
        probes.add(Probe::Kind::kEmail, address, f.origin());
        // '=' belongs to Message-IDs, but also ends a form field name ("sender=bob@…").
        const std::size_t field_end = address.rfind('=', address.find('@'));
        if (field_end != std::string::npos)
            probes.add(Probe::Kind::kEmail, address.substr(field_end + 1), f.origin());
    }
    static const std::regex kE164(R"(\+[1-9](?:[ .()-]{0,2}\d){7,14})");
    for (std::sregex_iterator it(text.begin(), text.end(), kE164), end; it != end; ++it) {
        const std::string spelled = it->str();
        probes.add(Probe::Kind::kPhone, spelled, f.origin());
        probes.add_phone("+" + digits_of(spelled), f.origin());
    }
    static const std::regex kPhoneField(R"re("(\w*(?:phone|wa_id|msisdn)\w*)"\s*:\s*"([^"]+)")re",
                                        std::regex::icase);
    for (std::sregex_iterator it(text.begin(), text.end(), kPhoneField), end; it != end; ++it) {
        const std::string key = (*it)[1].str();
        const std::string digits = digits_of((*it)[2].str());
        const bool an_id = key != "wa_id" && key.size() > 3 && key.substr(key.size() - 3) == "_id";
        if (an_id || digits.size() < 8 || digits.size() > 15) continue;
        if (digits[0] == '0')  // a national number: its spellings are found below
            probes.add(Probe::Kind::kPhone, digits, f.origin() + " (" + key + ")");
        else
            probes.add_phone("+" + digits, f.origin() + " (" + key + ")");
    }
    static const std::regex kNational(R"(\(?\d[\d .()-]{6,16}\d)");
    for (std::sregex_iterator it(text.begin(), text.end(), kNational), end; it != end; ++it) {
        const std::string spelled = it->str();
        const std::string digits = digits_of(spelled);
        for (const std::string& phone : normalized_phones) {
            const std::string tail = digits_of(phone).substr(digits_of(phone).size() - 8);
            if (digits.size() >= 8 && digits.size() <= 15 &&
                digits.compare(digits.size() - 8, 8, tail) == 0) {
                probes.add(Probe::Kind::kPhone, spelled, f.origin() + " (national form)");
                probes.add(Probe::Kind::kPhone, digits, f.origin() + " (national form)");
            }
        }
    }
}

void add_secrets(ProbeSet& probes) {
    for (const auto& [key, quoted] : channel_secrets()) {
        probes.add(Probe::Kind::kSecret, quoted.substr(1, quoted.size() - 2), key);
    }
    probes.add(Probe::Kind::kSecret, kAdminToken, "monitoring.admin_token");
    for (const char* auth : {kPostmarkAuth, kWrongPostmarkAuth}) {
        const std::string credentials = auth;
        probes.add(Probe::Kind::kSecret, credentials.substr(credentials.find(':') + 1),
                   "a Postmark password");
        probes.add(Probe::Kind::kSecret, common::base64_encode(credentials),
                   "a Postmark Authorization header");
    }
    probes.add(Probe::Kind::kSecret, kWrongSecret, "a wrong signing secret a client used");
}

struct Finding {
    std::size_t line = 0;
    const Probe* probe = nullptr;
    std::string excerpt;  ///< the line, the value replaced by its masked form
};

std::vector<Finding> scan(const std::string& log, const ProbeSet& probes) {
    std::vector<Finding> out;
    std::istringstream in(log);
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        const std::string folded = lower(line);
        for (const Probe& p : probes.probes()) {
            const std::size_t at =
                p.kind == Probe::Kind::kEmail ? folded.find(p.value) : line.find(p.value);
            if (at == std::string::npos) continue;
            std::string excerpt = line;
            excerpt.replace(at, p.value.size(), "<" + masked(p.value) + ">");
            const std::size_t from = at > 120 ? at - 120 : 0;
            out.push_back({number, &p, excerpt.substr(from, 300)});
        }
    }
    return out;
}

void check_log_is_clean(const std::string& log, const ProbeSet& probes) {
    const std::vector<Finding> findings = scan(log, probes);
    for (const Finding& f : findings) {
        BOOST_ERROR("gateway log line " << f.line << " holds the raw " << kind_name(f.probe->kind)
                                        << " " << masked(f.probe->value) << " (from "
                                        << f.probe->origin << "): " << f.excerpt);
    }
    BOOST_TEST_MESSAGE("log of " << std::count(log.begin(), log.end(), '\n')
                                 << " lines searched for " << probes.count(Probe::Kind::kEmail)
                                 << " e-mail addresses, " << probes.count(Probe::Kind::kPhone)
                                 << " phone spellings and " << probes.count(Probe::Kind::kSecret)
                                 << " secrets: " << findings.size() << " found");
}

HttpResponse send(std::uint16_t port, const HttpRequest& request) {
    return http_request(port, request);
}

struct LogMaskingFixture : GatewayFixture {
    LogMaskingFixture() {
        config.stages = {"size_limit", "rate_limit", "verify", "parse",
                         "enrich",     "dedup",      "cache",  "persist"};
        // `report` lets unsigned fixtures through and logs the failed check; the `_enforce`
        // twins answer 401 to the bad signatures below. `sms_limited` counts per sender, so
        // the rate-limit path sees a parsed sender.
        config.channels = {channel("form", "form", "report"),
                           channel("whatsapp", "whatsapp", "report"),
                           channel("sms", "sms", "report"),
                           channel("email", "email", "report"),
                           channel("form_enforce", "form", "enforce"),
                           channel("whatsapp_enforce", "whatsapp", "enforce"),
                           channel("sms_enforce", "sms", "enforce"),
                           channel("email_enforce", "email", "enforce"),
                           {"sms_limited",
                            {{"plugin", "sms"},
                             {"verify", "off"},
                             {"rate_limit", "{requests: 1, window: 1h, key: sender}"}}}};
        config.extra_yaml =
            "logging:\n  level: debug\nmonitoring:\n  admin_token: " + yaml_quote(kAdminToken) +
            "\n";
        start();
    }
};

/// Posts each fixture as a dry run, collecting the normalized sender and recipient, then
/// for real. Returns the phone numbers the plugins normalized.
std::vector<std::string> post_every_fixture(std::uint16_t port,
                                            const std::vector<FixtureFile>& fixtures,
                                            ProbeSet& probes) {
    std::vector<std::string> phones;
    std::set<std::string> stored;
    std::set<std::string> replayable_requests;
    std::set<std::set<std::string>> replayable_sets;
    // The row each stored dedup key got, from the answers of the requests that stored them.
    std::map<std::string, long long> first_ids;
    for (const FixtureFile& f : fixtures) {
        BOOST_TEST_CONTEXT("fixture " << f.origin()) {
            const HttpResponse dry = send(port, request_for(f, true));
            BOOST_TEST(dry.status == 200, "dry run: " << dry.status << " " << dry.body);
            const auto json = parse_json(dry.body);
            if (json.IsObject() && json.HasMember("messages") && json["messages"].IsArray()) {
                for (const auto& m : json["messages"].GetArray()) {
                    for (const char* field : {"sender", "recipient"}) {
                        const std::string value = string_member(m, field);
                        const std::string origin =
                            std::string("the dry-run ") + field + " of " + f.origin();
                        if (value.find('@') != std::string::npos) {
                            probes.add(Probe::Kind::kEmail, value, origin);
                        } else if (!value.empty() && value[0] == '+') {
                            probes.add_phone(value, origin);
                            phones.push_back(value);
                        }
                    }
                }
            }
            // What the replay cache and dedup answer follows from what was stored before: the
            // same request again, or the same set of messages (Vonage's one message in three
            // encodings) gets the first answer again (200, `replayed`); messages all stored by
            // requests holding other sets are duplicates (a provider's 200 naming the first
            // row, the website form's 409); anything new is stored (200). Twilio gets empty
            // TwiML for each of them.
            const HttpRequest request = request_for(f, false);
            const std::string raw = request.target + "\n" + request.body;
            std::set<std::string> keys;
            std::string first_key;
            std::string provider;
            if (json.IsObject() && json.HasMember("messages") && json["messages"].IsArray()) {
                for (const auto& m : json["messages"].GetArray())
                    keys.insert(string_member(m, "dedup_key"));
                if (!json["messages"].Empty()) {
                    first_key = string_member(json["messages"][0], "dedup_key");
                    provider = string_member(json["messages"][0], "provider");
                }
            }
            const bool all_stored =
                !keys.empty() && std::all_of(keys.begin(), keys.end(), [&](const std::string& k) {
                    return stored.count(k) == 1;
                });
            const HttpResponse real = send(port, request);
            BOOST_TEST_INFO("post: " << real.status << " " << real.body);
            const bool replayed =
                replayable_requests.count(raw) == 1 || replayable_sets.count(keys) == 1;
            if (provider == "twilio") {
                check_twiml(real);
                BOOST_TEST(real.header("X-Idempotent-Replay").has_value() == replayed);
            } else if (replayed) {
                BOOST_TEST(real.status == 200);
                BOOST_TEST(real.body.find(R"("replayed":true)") != std::string::npos);
            } else if (all_stored && provider == "website") {
                check_error(real, 409, "duplicate");
            } else if (all_stored) {
                BOOST_REQUIRE(first_ids.count(first_key) == 1);
                check_duplicate(real, first_ids[first_key]);
            } else {
                BOOST_TEST(real.status == 200);
                BOOST_TEST(real.body.find(R"("replayed")") == std::string::npos);
            }
            if (!replayed && !all_stored && !keys.empty()) {
                replayable_requests.insert(raw);
                replayable_sets.insert(keys);
                stored.insert(keys.begin(), keys.end());
                if (provider != "twilio") {
                    const auto answer = parse_json(real.body);
                    for (const auto& m : answer["messages"].GetArray())
                        first_ids[string_member(m, "checksum")] = m["id"].GetInt64();
                }
            }
        }
    }
    return phones;
}

/// Requests that fail, each carrying personal data or credentials, since error paths log too.
void post_bad_requests(std::uint16_t port, const std::vector<FixtureFile>& fixtures) {
    const auto find = [&](const std::string& origin) -> const FixtureFile& {
        const auto it = std::find_if(fixtures.begin(), fixtures.end(),
                                     [&](const FixtureFile& f) { return f.origin() == origin; });
        BOOST_REQUIRE_MESSAGE(it != fixtures.end(), "no fixture " << origin);
        return *it;
    };
    const auto with_header = [](HttpRequest r, const std::string& name, const std::string& value) {
        r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                       [&](const auto& h) { return h.first == name; }),
                        r.headers.end());
        r.headers.emplace_back(name, value);
        return r;
    };

    // Wrong signatures and credentials, on the enforcing twins: 401.
    const auto meta = request_for(find("whatsapp/meta/text.json"), false, "_enforce");
    check_error(send(port, with_header(meta, "X-Hub-Signature-256",
                                       "sha256=" + common::hex_encode(common::hmac_sha256(
                                                       kWrongSecret, meta.body)))),
                401, "verification_failed");
    const auto twilio_wa = request_for(find("whatsapp/twilio/text.urlencoded"), false, "_enforce");
    check_error(send(port, with_header(twilio_wa, "X-Twilio-Signature", kWrongSecret)), 401,
                "verification_failed");
    const auto twilio_sms = request_for(find("sms/twilio_sms.urlencoded"), false, "_enforce");
    check_error(send(port, with_header(twilio_sms, "X-Twilio-Signature", "")), 401,
                "verification_failed");
    check_error(send(port, request_for(find("sms/vonage_inbound.json"), false, "_enforce")), 401,
                "verification_failed");
    check_error(send(port, request_for(find("sms/vonage_inbound.query"), false, "_enforce")), 401,
                "verification_failed");
    const auto postmark = request_for(find("email/postmark_inbound.json"), false, "_enforce");
    check_error(send(port, with_header(postmark, "Authorization",
                                       "Basic " + common::base64_encode(kWrongPostmarkAuth))),
                401, "verification_failed");
    check_error(
        send(port, request_for(find("email/mailgun_multipart.multipart"), false, "_enforce")), 401,
        "verification_failed");
    const auto typeform = request_for(find("form/typeform_contact.json"), false, "_enforce");
    check_error(send(port, with_header(typeform, "Typeform-Signature",
                                       "sha256=" + common::base64_encode(common::hmac_sha256(
                                                       kWrongSecret, typeform.body)))),
                401, "verification_failed");

    // Meta's GET handshake, with the right token and a wrong one.
    const std::string handshake =
        "/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444"
        "&hub.verify_token=";
    const auto good = http_get(port, handshake + kMetaVerifyToken);
    BOOST_TEST(good.status == 200, good.body);
    BOOST_TEST(http_get(port, handshake + kWrongSecret).status == 403);

    // Malformed or invalid bodies that still hold an address or a number: 400 or 415.
    const std::string probe = std::string(R"({"name":"Leak Probe","email":")") + kProbeEmail +
                              R"(","phone":")" + kProbePhoneNational + R"(","message":)";
    check_error(http_post(port, "/webhooks/form", kJson, probe), 400, "invalid_payload");
    const auto invalid = http_post(port, "/webhooks/form", kJson,
                                   std::string(R"({"name":"Leak Probe","email":")") + kProbeEmail +
                                       R"(","phone":")" + kProbePhone + R"(","subject":")" +
                                       kProbeEmail2 + R"(","message":""})");
    BOOST_TEST(invalid.status == 400, invalid.body);
    check_error(http_post(port, "/webhooks/form", "text/plain",
                          std::string("call me on ") + kProbePhone + " or " + kProbeEmail),
                415, "unsupported_media_type");
    check_error(http_post(port, "/webhooks/form", kForm,
                          "email=" + url_encode(kProbeEmail) + "&phone=" + url_encode(kProbePhone)),
                400, "invalid_payload");
    check_error(http_post(port, "/webhooks/sms", kJson,
                          std::string(R"({"msisdn":")") + kProbeMsisdn + R"(","messageId":"X"})"),
                400, "invalid_payload");
    const auto bad_query = http_get(
        port, std::string("/webhooks/sms?msisdn=") + kProbeMsisdn + "&text=call+me&type=text");
    BOOST_TEST(bad_query.status == 400, bad_query.body);
    const std::string mime = std::string("From: Leak Probe <") + kProbeEmail +
                             ">\r\nTo: " + kProbeEmail2 + "\r\nSubject: no body, no id\r\n";
    const auto bad_mime = http_post(port, "/webhooks/email", "message/rfc822", mime);
    // From and To are all an e-mail needs: it is stored, and its log lines are masked too.
    BOOST_TEST(bad_mime.status == 200, bad_mime.body);
    check_error(http_post(port, "/webhooks/whatsapp", kJson,
                          std::string(R"({"entry":[{"changes":[{"value":{"contacts":[{"wa_id":")") +
                              kProbeMsisdn + R"("}],"messages":[{"from":")" + kProbeMsisdn +
                              R"(","type":"text"}]}}]}]})",
                          {{"X-Hub-Signature-256", "sha256=00"}}),
                400, "invalid_payload");

    // The same sender twice on a channel limited to one request per sender: 200, then 429.
    const std::string vonage = std::string("/webhooks/sms_limited?msisdn=") + kProbeMsisdn +
                               "&to=447700900000&text=Hello&type=text&message-timestamp=" +
                               "2020-01-01+12%3A00%3A00&messageId=";
    BOOST_TEST(http_get(port, vonage + "0D0000000000000A").status == 200);
    check_error(http_get(port, vonage + "0D0000000000000B"), 429, "rate_limited");
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(no_secret_or_raw_address_or_number_in_the_log, LogMaskingFixture) {
    const std::vector<FixtureFile> fixtures = all_fixtures();
    BOOST_TEST_MESSAGE(fixtures.size() << " fixture files");
    BOOST_REQUIRE_GE(fixtures.size(), 40U);

    ProbeSet probes;
    const std::vector<std::string> phones = post_every_fixture(port, fixtures, probes);
    post_bad_requests(port, fixtures);
    for (const FixtureFile& f : fixtures) add_fixture_values(f, phones, probes);
    for (const char* email : {kProbeEmail, kProbeEmail2})
        probes.add(Probe::Kind::kEmail, email, "a bad request");
    for (const char* phone : {kProbePhone, kProbePhoneNational})
        probes.add(Probe::Kind::kPhone, phone, "a bad request");
    probes.add_phone(std::string("+") + kProbeMsisdn, "a bad request");
    add_secrets(probes);

    // The search must have something to find: values from every kind, and masked senders in
    // the log, so a run where nothing parsed or nothing was logged cannot pass.
    BOOST_TEST(probes.count(Probe::Kind::kEmail) >= 20U);
    BOOST_TEST(probes.count(Probe::Kind::kPhone) >= 10U);
    BOOST_TEST(phones.size() >= 10U);

    const ExitStatus status = gateway->stop();
    BOOST_TEST(status.clean(), status.describe());
    const std::string log = gateway->log();
    std::size_t requests = 0;
    std::size_t masked_senders = 0;
    for (const LogEvent& e : parse_log(log)) {
        if (e.get("event") != "request") continue;
        ++requests;
        if (!e.get("sender_masked").empty()) ++masked_senders;
    }
    BOOST_TEST(requests >= 2 * fixtures.size(), "request log lines: " << requests);
    BOOST_TEST(masked_senders >= fixtures.size(), "request lines with a masked sender");
    check_log_is_clean(log, probes);

    // The search itself finds what it looks for: a line holding one raw value of each kind.
    for (const Probe::Kind kind :
         {Probe::Kind::kEmail, Probe::Kind::kPhone, Probe::Kind::kSecret}) {
        const auto it = std::find_if(probes.probes().begin(), probes.probes().end(),
                                     [&](const Probe& p) { return p.kind == kind; });
        BOOST_REQUIRE(it != probes.probes().end());
        const std::string planted = log + R"({"event":"planted","value":")" + it->value + "\"}\n";
        BOOST_TEST(scan(planted, probes).size() >= 1U, "a planted " << kind_name(kind));
    }
}
