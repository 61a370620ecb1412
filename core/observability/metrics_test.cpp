#include "observability/metrics.hpp"

#include <map>
#include <sstream>

#include <boost/test/unit_test.hpp>

using namespace memolib::core;

namespace {

// One sample of the Prometheus text exposition format.
struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    std::string value;
};

// What a scraper reads out of a rendering: each family's TYPE and HELP, and the samples in
// order. Fails the test on any line a Prometheus parser would refuse.
struct Exposition {
    std::map<std::string, std::string> types;
    std::map<std::string, std::string> help;
    std::vector<Sample> samples;

    std::vector<Sample> of(const std::string& name) const {
        std::vector<Sample> out;
        for (const Sample& s : samples)
            if (s.name == name) out.push_back(s);
        return out;
    }
    std::string value(const std::string& name,
                      const std::map<std::string, std::string>& labels) const {
        std::string found;
        int matches = 0;
        for (const Sample& s : samples) {
            if (s.name == name && s.labels == labels) {
                found = s.value;
                ++matches;
            }
        }
        BOOST_TEST(matches == 1, name << ": one series with those labels");
        return found;
    }
};

// Parses `{a="x",b="y\"z"}` from `pos`, undoing the format's three escapes.
std::map<std::string, std::string> parse_labels(const std::string& line, std::size_t& pos) {
    std::map<std::string, std::string> labels;
    BOOST_REQUIRE(line[pos] == '{');
    ++pos;
    while (pos < line.size() && line[pos] != '}') {
        const std::size_t eq = line.find('=', pos);
        BOOST_REQUIRE(eq != std::string::npos);
        const std::string key = line.substr(pos, eq - pos);
        BOOST_REQUIRE_MESSAGE(line.at(eq + 1) == '"', line);
        std::string value;
        pos = eq + 2;
        for (;; ++pos) {
            BOOST_REQUIRE_MESSAGE(pos < line.size(), "unterminated label value: " << line);
            const char c = line[pos];
            if (c == '"') break;
            if (c == '\\') {
                const char next = line.at(++pos);
                BOOST_REQUIRE_MESSAGE(next == '\\' || next == '"' || next == 'n',
                                      "unknown escape in " << line);
                value += next == 'n' ? '\n' : next;
            } else {
                value += c;
            }
        }
        BOOST_TEST(labels.emplace(key, value).second, "label " << key << " once");
        ++pos;
        if (line.at(pos) == ',') ++pos;
    }
    BOOST_REQUIRE(pos < line.size());
    ++pos;
    return labels;
}

Exposition parse(const std::string& text) {
    Exposition e;
    BOOST_REQUIRE(text.empty() || text.back() == '\n');
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        BOOST_REQUIRE_MESSAGE(!line.empty(), "no empty lines");
        if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
            const std::size_t space = line.find(' ', 7);
            BOOST_REQUIRE(space != std::string::npos);
            const std::string name = line.substr(7, space - 7);
            auto& map = line[2] == 'H' ? e.help : e.types;
            BOOST_TEST(map.emplace(name, line.substr(space + 1)).second, "once: " << line);
            continue;
        }
        BOOST_REQUIRE_MESSAGE(line[0] != '#', line);
        Sample s;
        std::size_t pos = line.find_first_of("{ ");
        BOOST_REQUIRE(pos != std::string::npos);
        s.name = line.substr(0, pos);
        if (line[pos] == '{') s.labels = parse_labels(line, pos);
        BOOST_REQUIRE_MESSAGE(line.at(pos) == ' ', line);
        s.value = line.substr(pos + 1);
        std::size_t used = 0;
        if (s.value != "+Inf" && s.value != "-Inf") {
            std::stod(s.value, &used);
            BOOST_TEST(used == s.value.size(), "a number: " << line);
        }
        // The sample's family was declared before it.
        std::string family = s.name;
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
            const std::string sx(suffix);
            if (e.types.count(family) == 0 && family.size() > sx.size() &&
                family.compare(family.size() - sx.size(), sx.size(), sx) == 0)
                family.resize(family.size() - sx.size());
        }
        BOOST_TEST(e.types.count(family) == 1U, "TYPE before " << line);
        e.samples.push_back(std::move(s));
    }
    return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(every_family_has_help_and_type) {
    Metrics m;
    const Exposition e = parse(m.render());
    BOOST_TEST(e.samples.empty(), "nothing recorded, nothing rendered");
    BOOST_TEST(e.types.at("memolib_requests_total") == "counter");
    BOOST_TEST(e.types.at("memolib_request_duration_seconds") == "histogram");
    BOOST_TEST(e.types.at("memolib_config_generation") == "gauge");
    for (const auto& [name, type] : e.types) {
        BOOST_TEST(e.help.count(name) == 1U, name);
        BOOST_TEST((type == "counter" || type == "gauge" || type == "histogram"), name);
        if (type == "counter") BOOST_TEST(name.size() > 6);
        if (type == "counter") BOOST_TEST(name.compare(name.size() - 6, 6, "_total") == 0, name);
    }
}

BOOST_AUTO_TEST_CASE(counters_add_per_label_set_and_gauges_are_set) {
    Metrics m;
    m.add("memolib_requests_total", {{"channel", "form"}, {"status", "200"}});
    m.add("memolib_requests_total", {{"channel", "form"}, {"status", "200"}});
    m.add("memolib_requests_total", {{"channel", "form"}, {"status", "409"}}, 3);
    m.add("memolib_messages_stored_total", {});
    m.set("memolib_config_generation", {}, 4);
    m.set("memolib_config_generation", {}, 5);
    const Exposition e = parse(m.render());
    BOOST_TEST(e.value("memolib_requests_total", {{"channel", "form"}, {"status", "200"}}) == "2");
    BOOST_TEST(e.value("memolib_requests_total", {{"channel", "form"}, {"status", "409"}}) == "3");
    BOOST_TEST(e.value("memolib_messages_stored_total", {}) == "1");
    BOOST_TEST(e.value("memolib_config_generation", {}) == "5");
    BOOST_TEST(e.samples.size() == 4U);
}

BOOST_AUTO_TEST_CASE(an_undeclared_name_is_never_rendered) {
    Metrics m;
    m.add("memolib_not_declared_total", {});
    m.observe("memolib_not_declared_seconds", {}, 1);
    BOOST_TEST(parse(m.render()).samples.empty());
}

// A label value is whatever a request carried (a channel name, a plugin's version): quotes,
// backslashes and line feeds are escaped, and a scraper reads back the exact value.
BOOST_AUTO_TEST_CASE(label_values_are_escaped_and_read_back_exactly) {
    Metrics m;
    const std::string tricky = "a\"b\\c\nd}e,f=g";
    m.add("memolib_requests_total", {{"channel", tricky}, {"status", "200"}});
    m.observe("memolib_request_duration_seconds", {{"channel", tricky}}, 0.003);
    const std::string text = m.render();
    BOOST_TEST(text.find("channel=\"a\\\"b\\\\c\\nd}e,f=g\"") != std::string::npos, text);
    const Exposition e = parse(text);
    BOOST_TEST(e.value("memolib_requests_total", {{"channel", tricky}, {"status", "200"}}) == "1");
    BOOST_TEST(e.value("memolib_request_duration_seconds_count", {{"channel", tricky}}) == "1");
}

// Buckets are cumulative, `le` ascending and ending at +Inf, which equals _count.
BOOST_AUTO_TEST_CASE(histograms_render_cumulative_buckets_sum_and_count) {
    Metrics m;
    for (double v : {0.0005, 0.001, 0.02, 0.02, 3.0, 60.0})
        m.observe("memolib_request_duration_seconds", {{"channel", "sms"}}, v);
    const Exposition e = parse(m.render());
    const std::vector<Sample> buckets = e.of("memolib_request_duration_seconds_bucket");
    BOOST_REQUIRE(buckets.size() == 14U);
    std::map<std::string, std::string> counts;
    double last_le = -1;
    double last_count = 0;
    for (const Sample& b : buckets) {
        BOOST_TEST(b.labels.at("channel") == "sms");
        const std::string& le = b.labels.at("le");
        counts[le] = b.value;
        const double bound = le == "+Inf" ? 1e300 : std::stod(le);
        BOOST_TEST(bound > last_le, "le ascending");
        BOOST_TEST(std::stod(b.value) >= last_count, "cumulative");
        last_le = bound;
        last_count = std::stod(b.value);
    }
    BOOST_TEST(buckets.back().labels.at("le") == "+Inf");
    // At the bound itself the value is counted in that bucket (le: less or equal).
    BOOST_TEST(counts.at("0.001") == "2");
    BOOST_TEST(counts.at("0.01") == "2");
    BOOST_TEST(counts.at("0.025") == "4");
    BOOST_TEST(counts.at("2.5") == "4");
    BOOST_TEST(counts.at("5") == "5");
    BOOST_TEST(counts.at("10") == "5");
    BOOST_TEST(counts.at("+Inf") == "6");
    BOOST_TEST(e.value("memolib_request_duration_seconds_count", {{"channel", "sms"}}) == "6");
    BOOST_TEST(
        std::stod(e.value("memolib_request_duration_seconds_sum", {{"channel", "sms"}})) == 63.0415,
        boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(histograms_keep_a_series_per_label_set) {
    Metrics m;
    m.observe("memolib_batch_size", {}, 3);
    m.observe("memolib_request_duration_seconds", {{"channel", "a"}}, 0.1);
    m.observe("memolib_request_duration_seconds", {{"channel", "b"}}, 0.2);
    const Exposition e = parse(m.render());
    BOOST_TEST(e.value("memolib_batch_size_bucket", {{"le", "2"}}) == "0");
    BOOST_TEST(e.value("memolib_batch_size_bucket", {{"le", "4"}}) == "1");
    BOOST_TEST(e.value("memolib_batch_size_sum", {}) == "3");
    BOOST_TEST(e.value("memolib_request_duration_seconds_count", {{"channel", "a"}}) == "1");
    BOOST_TEST(e.value("memolib_request_duration_seconds_count", {{"channel", "b"}}) == "1");
}

BOOST_AUTO_TEST_CASE(collectors_run_before_each_rendering_and_clear_forgets_a_family) {
    Metrics m;
    int runs = 0;
    m.on_render([&runs](Metrics& self) {
        ++runs;
        self.set("memolib_cache_hits_total", {{"cache", "replay"}}, runs * 10);
    });
    BOOST_TEST(parse(m.render()).value("memolib_cache_hits_total", {{"cache", "replay"}}) == "10");
    BOOST_TEST(parse(m.render()).value("memolib_cache_hits_total", {{"cache", "replay"}}) == "20");
    m.set("memolib_plugins_loaded", {{"name", "form"}, {"version", "1.0.0"}}, 1);
    m.clear("memolib_plugins_loaded");
    m.set("memolib_plugins_loaded", {{"name", "form"}, {"version", "1.1.0"}}, 1);
    const Exposition e = parse(m.render());
    BOOST_TEST(e.of("memolib_plugins_loaded").size() == 1U);
    BOOST_TEST(e.value("memolib_plugins_loaded", {{"name", "form"}, {"version", "1.1.0"}}) == "1");
    m.reset();
    BOOST_TEST(parse(m.render()).samples.empty(), "reset forgets values and collectors");
}

BOOST_AUTO_TEST_CASE(large_counts_keep_every_digit) {
    Metrics m;
    m.add("memolib_messages_stored_total", {}, 123456789012.0);
    m.add("memolib_messages_stored_total", {});
    BOOST_TEST(parse(m.render()).value("memolib_messages_stored_total", {}) == "123456789013");
}

BOOST_AUTO_TEST_SUITE_END()
