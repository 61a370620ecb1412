#include "conformance_checks.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "isolated_run.hpp"
#include "plugin_runner.hpp"

namespace memolib::tools {

namespace {

using InstancePtr = std::shared_ptr<core::ChannelInstance>;

/// One input the checks derive others from: a fixture's request on an instance with its config.
struct Seed {
    std::string label;
    std::string channel;
    InstancePtr instance;
    CheckRequest request;
};

/// One request to run, derived from a seed.
struct Input {
    std::string label;
    const Seed* seed;
    CheckRequest request;
};

void pass(const std::string& name, const std::string& detail) {
    std::printf("[PASS] %s: %s\n", name.c_str(), detail.c_str());
}

void fail(const std::string& name, const std::string& detail) {
    std::printf("[FAIL] %s: %s\n", name.c_str(), detail.c_str());
}

void detail(const std::string& line) { std::printf("       - %s\n", line.c_str()); }

std::string channel_of(const CheckContext& ctx, const FixtureCase& c) {
    return c.channel.empty() ? ctx.plugin->name : c.channel;
}

CheckRequest request_of(const CheckContext& ctx, const FixtureCase& c) {
    CheckRequest r;
    r.method = c.method;
    r.path = "/webhooks/" + channel_of(ctx, c);
    r.query = c.query;
    r.content_type = c.content_type;
    r.public_url = c.public_url;
    r.headers = c.headers;
    // The gateway hands the plugin every header, Content-Type and Host included.
    if (!c.content_type.empty()) r.headers.emplace_back("Content-Type", c.content_type);
    r.headers.emplace_back("Host", "localhost");
    r.body = c.body;
    r.received_at_ms = c.received_at_ms.value_or(ctx.now_ms);
    return r;
}

/// One instance per distinct (channel, config), as the gateway makes one per channel.
class InstancePool {
public:
    explicit InstancePool(const CheckContext& ctx) : ctx_(ctx) {}

    InstancePtr get(const std::string& channel,
                    const std::vector<std::pair<std::string, std::string>>& config,
                    std::vector<std::string>& problems) {
        std::string key = channel;
        for (const auto& [k, v] : config) key.append("\n").append(k).append("=").append(v);
        auto it = pool_.find(key);
        if (it != pool_.end()) return it->second;
        InstancePtr instance = make_instance(ctx_.plugin, channel, config, problems);
        if (instance) pool_.emplace(key, instance);
        return instance;
    }

private:
    const CheckContext& ctx_;
    std::map<std::string, InstancePtr> pool_;
};

/// The fixtures as seeds; without fixtures, one empty JSON-ish body per declared media type on
/// an instance with the schema's defaults. Fills `problems` when no seed can be made.
std::vector<Seed> make_seeds(const CheckContext& ctx, InstancePool& pool,
                             std::vector<std::string>& problems) {
    std::vector<Seed> seeds;
    for (const FixtureCase& c : ctx.cases) {
        std::vector<std::string> refused;
        InstancePtr instance = pool.get(channel_of(ctx, c), c.config, refused);
        if (!instance) continue;  // check_fixtures reports it
        seeds.push_back({c.name, channel_of(ctx, c), instance, request_of(ctx, c)});
    }
    if (!seeds.empty()) return seeds;
    InstancePtr instance = pool.get(ctx.plugin->name, {}, problems);
    if (!instance) {
        problems.insert(problems.begin(),
                        "no fixture gave a working config and the schema defaults alone do not "
                        "create an instance; give a FIXTURES_DIR with a config");
        return seeds;
    }
    for (const std::string& type : ctx.plugin->content_types) {
        FixtureCase c;
        c.content_type = type;
        c.body = "{}";
        seeds.push_back({"empty " + type, ctx.plugin->name, instance, request_of(ctx, c)});
    }
    return seeds;
}

std::uint64_t label_hash(const std::string& s) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    return h;
}

std::string mutate(std::string s, std::mt19937_64& rng) {
    static constexpr char kSpecial[] = "{}[]\",:\\\r\n=&%;+-.0 \xff\x80\xc3";
    const int ops = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < ops; ++i) {
        const std::size_t pos = s.empty() ? 0 : rng() % s.size();
        switch (rng() % 6) {
            case 0:
                if (!s.empty()) s[pos] = static_cast<char>(s[pos] ^ (1 << (rng() % 8)));
                break;
            case 1:
                if (!s.empty()) s[pos] = kSpecial[rng() % (sizeof(kSpecial) - 1)];
                break;
            case 2:
                s.insert(pos, 1 + rng() % 8, static_cast<char>(rng() % 256));
                break;
            case 3:
                if (!s.empty()) s.erase(pos, 1 + rng() % 16);
                break;
            case 4:
                if (!s.empty()) s.insert(rng() % s.size(), s.substr(pos, 1 + rng() % 64));
                break;
            default:
                s.insert(pos, 1, '\0');
                break;
        }
    }
    return s;
}

std::string random_body(std::mt19937_64& rng) {
    std::string s(rng() % 2048, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    return s;
}

/// Truncations, mutations and (for the first seed) random bodies under every media type.
std::vector<Input> derived_inputs(const CheckContext& ctx, const std::vector<Seed>& seeds,
                                  int mutations, bool with_random) {
    std::vector<Input> out;
    for (const Seed& seed : seeds) {
        const std::string& body = seed.request.body;
        std::vector<std::size_t> cuts;
        if (body.size() <= 64) {
            for (std::size_t n = 0; n < body.size(); ++n) cuts.push_back(n);
        } else {
            for (std::size_t k = 0; k < 32; ++k) cuts.push_back(body.size() * k / 32);
            cuts.push_back(1);
            cuts.push_back(body.size() - 1);
        }
        for (std::size_t n : cuts) {
            Input in{seed.label + " truncated to " + std::to_string(n) + " bytes", &seed,
                     seed.request};
            in.request.body = body.substr(0, n);
            out.push_back(std::move(in));
        }
        std::mt19937_64 rng(ctx.seed ^ label_hash(seed.label));
        for (int i = 0; i < mutations; ++i) {
            Input in{seed.label + " mutation #" + std::to_string(i), &seed, seed.request};
            in.request.body = mutate(body, rng);
            out.push_back(std::move(in));
        }
    }
    if (with_random && !seeds.empty()) {
        std::mt19937_64 rng(ctx.seed);
        std::vector<std::string> types = ctx.plugin->content_types;
        types.emplace_back("application/octet-stream");
        types.emplace_back("");
        for (const std::string& type : types) {
            for (int i = 0; i < 16; ++i) {
                Input in{"random body #" + std::to_string(i) + " as '" + type + "'", &seeds[0],
                         seeds[0].request};
                in.request.content_type = type;
                for (auto& [name, value] : in.request.headers) {
                    if (name == "Content-Type") value = type;
                }
                in.request.body = random_body(rng);
                out.push_back(std::move(in));
            }
        }
    }
    return out;
}

std::string save_artifact(const CheckContext& ctx, const std::string& what,
                          const std::string& body) {
    if (ctx.artifact_dir.empty()) return {};
    const std::string path =
        ctx.artifact_dir + "/memolib-plugin-check-" + ctx.plugin->name + "-" + what + ".bin";
    std::ofstream out(path, std::ios::binary);
    out << body;
    return out ? path : std::string{};
}

// The first line where two fingerprints differ, shortened: what a reader needs to see.
std::string first_difference(const std::string& expected, const std::string& got) {
    std::size_t a = 0;
    std::size_t b = 0;
    while (a < expected.size() || b < got.size()) {
        const std::size_t ea = std::min(expected.find('\n', a), expected.size());
        const std::size_t eb = std::min(got.find('\n', b), got.size());
        std::string la = expected.substr(a, ea - a);
        std::string lb = got.substr(b, eb - b);
        if (la != lb) {
            if (la.size() > 80) la.erase(80).append("…");
            if (lb.size() > 80) lb.erase(80).append("…");
            return std::string("'").append(lb).append("' instead of '").append(la).append("'");
        }
        a = ea + 1;
        b = eb + 1;
    }
    return "no difference";
}

// For an outcome of run_request(…, always_parse): both hooks answered within the contract.
bool acceptable(const Outcome& o) {
    const bool verify_ok = o.verify_status == MEMOLIB_OK || o.verify_status == MEMOLIB_UNAUTHORIZED;
    const bool parse_ok = o.parse_status == MEMOLIB_OK || o.parse_status == MEMOLIB_INVALID ||
                          o.parse_status == MEMOLIB_UNSUPPORTED_MEDIA_TYPE;
    return verify_ok && parse_ok && o.http_status < 500;
}

std::string field_of(const core::NormalizedMessage& m, const std::string& name, bool& known) {
    known = true;
    if (name == "provider") return m.provider;
    if (name == "external_id") return m.external_id;
    if (name == "sender") return m.sender;
    if (name == "sender_name") return m.sender_name;
    if (name == "recipient") return m.recipient;
    if (name == "subject") return m.subject;
    if (name == "text") return m.text;
    if (name == "html") return m.html;
    if (name == "metadata_json") return m.metadata_json;
    if (name == "provider_timestamp_ms") return std::to_string(m.provider_timestamp_ms);
    if (name == "attachment_count") return std::to_string(m.attachments.size());
    if (name == "dedup_key") return core::to_hex(m.dedup_key);
    known = false;
    return {};
}

std::vector<std::string> compare_case(const FixtureCase& c, const Outcome& o) {
    std::vector<std::string> out;
    if (o.http_status != c.expect_status) {
        out.push_back("expected HTTP " + std::to_string(c.expect_status) + ", got " + o.summary());
    }
    if (c.expect_messages) {
        const auto& expected = *c.expect_messages;
        if (expected.size() != o.messages.size()) {
            out.push_back("expected " + std::to_string(expected.size()) + " message(s), got " +
                          std::to_string(o.messages.size()));
        }
        for (std::size_t i = 0; i < expected.size() && i < o.messages.size(); ++i) {
            for (const auto& [name, want] : expected[i].fields) {
                bool known = false;
                const std::string got = field_of(o.messages[i], name, known);
                if (!known) {
                    out.push_back("messages[" + std::to_string(i) + "]: unknown field '" + name +
                                  "'");
                } else if (got != want) {
                    std::string line = "messages[" + std::to_string(i) + "].";
                    line.append(name).append(": expected '").append(want);
                    out.push_back(line.append("', got '").append(got).append("'"));
                }
            }
        }
    }
    for (const std::string& v : o.violations) out.push_back("ABI violation: " + v);
    if (c.expect_answer) {
        const int got = o.answer_status.value_or(0);
        if (got != c.expect_answer->status) {
            out.push_back("expected the plugin's answer " +
                          std::to_string(c.expect_answer->status) + ", got " + std::to_string(got) +
                          (got == 0 ? " (the host's)" : ""));
        }
        if (c.expect_answer->content_type &&
            *c.expect_answer->content_type != o.answer_content_type)
            out.push_back("answer content type: expected '" + *c.expect_answer->content_type +
                          "', got '" + o.answer_content_type + "'");
        if (c.expect_answer->body && *c.expect_answer->body != o.answer_body)
            out.push_back("answer body: expected '" + *c.expect_answer->body + "', got '" +
                          o.answer_body + "'");
    }
    for (const auto& [field, code] : c.expect_errors) {
        const bool found = std::any_of(o.errors.begin(), o.errors.end(), [&](const auto& e) {
            return e.field == field && e.code == code;
        });
        if (!found)
            out.push_back(std::string("expected an error ")
                              .append(field)
                              .append("/")
                              .append(code)
                              .append(", got ")
                              .append(o.summary()));
    }
    return out;
}

}  // namespace

bool check_fixtures(const CheckContext& ctx) {
    if (ctx.cases.empty()) {
        pass("fixtures", "none given (no FIXTURES_DIR, or no *.case.json in it)");
        return true;
    }
    InstancePool pool(ctx);
    std::size_t failed = 0;
    for (const FixtureCase& c : ctx.cases) {
        const std::string name = "fixture " + c.name;
        std::vector<std::string> problems;
        InstancePtr instance = pool.get(channel_of(ctx, c), c.config, problems);
        if (!instance) {
            ++failed;
            fail(name, "no instance from its config");
            for (const std::string& p : problems) detail(p);
            continue;
        }
        CrashContext::set(name, c.body);
        const Outcome o = run_request(*instance, channel_of(ctx, c), request_of(ctx, c));
        problems = compare_case(c, o);
        if (problems.empty()) {
            pass(name, o.summary());
        } else {
            ++failed;
            fail(name, c.description.empty() ? c.file : c.description);
            for (const std::string& p : problems) detail(p);
        }
    }
    return failed == 0;
}

bool check_robustness(const CheckContext& ctx) {
    const std::string name = "robustness";
    InstancePool pool(ctx);
    std::vector<std::string> problems;
    const std::vector<Seed> seeds = make_seeds(ctx, pool, problems);
    if (seeds.empty()) {
        fail(name, "nothing to run");
        for (const std::string& p : problems) detail(p);
        return false;
    }
    const std::vector<Input> inputs = derived_inputs(ctx, seeds, ctx.mutations, true);
    std::size_t failures = 0;
    std::map<int, std::size_t> statuses;
    for (const Input& in : inputs) {
        CrashContext::set(in.label, in.request.body);
        const Outcome o = run_request(*in.seed->instance, in.seed->channel, in.request, true);
        ++statuses[o.http_status];
        if (acceptable(o)) continue;
        if (++failures <= 5) {
            problems.push_back(in.label + ": verify " + status_name(o.verify_status) + ", parse " +
                               status_name(o.parse_status) + ": " + o.summary());
            const std::string saved =
                save_artifact(ctx, "robustness-" + std::to_string(failures), in.request.body);
            if (!saved.empty()) problems.push_back("  body saved to " + saved);
        }
    }
    std::string counts;
    for (const auto& [status, n] : statuses) {
        counts += (counts.empty() ? "" : ", ") + std::to_string(n) + "x " + std::to_string(status);
    }
    const std::string summary = std::to_string(inputs.size()) +
                                " truncated, mutated and random bodies through verify and parse "
                                "(seed " +
                                std::to_string(ctx.seed) + "), parse answered " + counts;
    if (failures == 0) {
        pass(name, summary);
        return true;
    }
    fail(name, std::to_string(failures) + " answer(s) outside OK / 4xx; " + summary);
    for (const std::string& p : problems) detail(p);
    return false;
}

bool check_determinism(const CheckContext& ctx) {
    const std::string name = "determinism";
    InstancePool pool(ctx);
    std::vector<std::string> problems;
    const std::vector<Seed> seeds = make_seeds(ctx, pool, problems);
    if (seeds.empty()) {
        fail(name, "nothing to run");
        for (const std::string& p : problems) detail(p);
        return false;
    }
    std::vector<Input> inputs;
    for (const Seed& s : seeds) inputs.push_back({s.label, &s, s.request});
    for (Input& in : derived_inputs(ctx, seeds, 8, false)) inputs.push_back(std::move(in));
    std::size_t failures = 0;
    for (const Input& in : inputs) {
        CrashContext::set(in.label, in.request.body);
        const Outcome first = run_request(*in.seed->instance, in.seed->channel, in.request);
        const Outcome second = run_request(*in.seed->instance, in.seed->channel, in.request);
        bool same = first.fingerprint() == second.fingerprint();
        // A second instance with the same config must agree too: no hidden global state.
        if (same && in.label == in.seed->label) {
            std::vector<std::string> ignored;
            for (const FixtureCase& c : ctx.cases) {
                if (c.name != in.seed->label) continue;
                InstancePtr fresh = make_instance(ctx.plugin, in.seed->channel, c.config, ignored);
                if (fresh) {
                    same = run_request(*fresh, in.seed->channel, in.request).fingerprint() ==
                           first.fingerprint();
                }
            }
        }
        if (!same && ++failures <= 5) {
            problems.push_back(in.label + ": two runs of the same request differ: " +
                               first_difference(first.fingerprint(), second.fingerprint()));
            for (std::size_t i = 0; i < first.messages.size() && i < second.messages.size(); ++i) {
                if (first.messages[i].dedup_key != second.messages[i].dedup_key) {
                    problems.push_back("  messages[" + std::to_string(i) + "] external_id '" +
                                       first.messages[i].external_id + "' then '" +
                                       second.messages[i].external_id +
                                       "': the dedup key changes, so a retry is stored twice");
                }
            }
        }
    }
    const std::string summary =
        std::to_string(inputs.size()) + " requests run twice, fixtures also on a fresh instance";
    if (failures == 0) {
        pass(name, summary + ": identical outcomes, messages and dedup keys");
        return true;
    }
    fail(name, std::to_string(failures) + " of " + summary + " differ");
    for (const std::string& p : problems) detail(p);
    return false;
}

bool check_thread_safety(const CheckContext& ctx) {
    const std::string name = "thread safety";
    InstancePool pool(ctx);
    std::vector<std::string> problems;
    const std::vector<Seed> seeds = make_seeds(ctx, pool, problems);
    if (seeds.empty()) {
        fail(name, "nothing to run");
        for (const std::string& p : problems) detail(p);
        return false;
    }
    std::vector<Input> inputs;
    for (const Seed& s : seeds) inputs.push_back({s.label, &s, s.request});
    for (Input& in : derived_inputs(ctx, seeds, 4, false)) {
        if (inputs.size() >= 96) break;
        inputs.push_back(std::move(in));
    }
    std::vector<std::string> baseline;
    for (const Input& in : inputs) {
        CrashContext::set(in.label, in.request.body);
        baseline.push_back(
            run_request(*in.seed->instance, in.seed->channel, in.request).fingerprint());
    }
    CrashContext::set("parse from " + std::to_string(ctx.threads) + " threads at once", "");
    std::atomic<std::size_t> mismatches{0};
    std::mutex mutex;
    std::vector<std::thread> threads;
    for (int t = 0; t < ctx.threads; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < ctx.rounds; ++round) {
                for (std::size_t k = 0; k < inputs.size(); ++k) {
                    // Each thread walks the inputs from its own offset, so different requests
                    // overlap as well as identical ones.
                    const std::size_t i = (k + static_cast<std::size_t>(t) * 7) % inputs.size();
                    const Input& in = inputs[i];
                    const Outcome o = run_request(*in.seed->instance, in.seed->channel, in.request);
                    if (o.fingerprint() == baseline[i]) continue;
                    if (++mismatches <= 5) {
                        std::lock_guard<std::mutex> lock(mutex);
                        problems.push_back(in.label + " on thread " + std::to_string(t) + ": " +
                                           first_difference(baseline[i], o.fingerprint()));
                    }
                }
            }
        });
    }
    for (std::thread& th : threads) th.join();
    const std::string summary = std::to_string(ctx.threads) + " threads x " +
                                std::to_string(ctx.rounds) + " rounds x " +
                                std::to_string(inputs.size()) + " requests on one instance";
    if (mismatches == 0) {
        pass(name, summary + ": every outcome equals the sequential one");
        return true;
    }
    fail(name, std::to_string(mismatches.load()) + " outcome(s) differ; " + summary);
    for (const std::string& p : problems) detail(p);
    return false;
}

}  // namespace memolib::tools
