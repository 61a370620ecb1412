#include "observability/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace memolib::core {

namespace {

enum class Kind { kCounter, kGauge, kHistogram };

struct Declaration {
    const char* name;
    Kind kind;
    const char* help;
    std::vector<double> buckets;
};

// Request latencies from 1 ms to 10 s, and batch sizes up to the largest allowed batch.
const std::vector<double> kLatencyBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,  0.5,    1,     2.5,  5,     10};
const std::vector<double> kBatchBuckets = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

const std::vector<Declaration>& declarations() {
    static const std::vector<Declaration> kAll = {
        {"memolib_requests_total",
         Kind::kCounter,
         "HTTP requests answered, by channel, status and typed reason",
         {}},
        {"memolib_request_duration_seconds", Kind::kHistogram,
         "Time from the request's arrival to its answer, by channel", kLatencyBuckets},
        {"memolib_messages_stored_total", Kind::kCounter, "Messages committed to storage", {}},
        {"memolib_duplicates_total",
         Kind::kCounter,
         "Messages answered as duplicates of a stored one",
         {}},
        {"memolib_dry_runs_total",
         Kind::kCounter,
         "Dry runs (?dry_run=1) answered, by channel, status and typed reason; counted nowhere "
         "else",
         {}},
        {"memolib_rate_limited_total", Kind::kCounter, "Requests refused by a rate limit", {}},
        {"memolib_verification_failures_total",
         Kind::kCounter,
         "Requests whose provider signature failed, by channel and verify mode (report: "
         "accepted anyway)",
         {}},
        {"memolib_quarantined_total",
         Kind::kCounter,
         "Authentic requests the plugin could not turn into messages, kept in the quarantine "
         "table, by channel and reason (the same bytes again are not counted)",
         {}},
        {"memolib_quarantine_pending",
         Kind::kGauge,
         "Quarantine entries waiting for an operator, by channel",
         {}},
        {"memolib_batch_size", Kind::kHistogram, "Messages per storage transaction", kBatchBuckets},
        {"memolib_storage_retries_total",
         Kind::kCounter,
         "Transactions retried after a transient storage error",
         {}},
        {"memolib_storage_failures_total",
         Kind::kCounter,
         "Transactions given up (storage unavailable after its retries, or refused)",
         {}},
        {"memolib_messages_spooled_total",
         Kind::kCounter,
         "Messages committed to the local spool while PostgreSQL was down (answered accepted), "
         "by channel",
         {}},
        {"memolib_spool_depth", Kind::kGauge, "Messages in the spool, waiting to be drained", {}},
        {"memolib_spool_quarantined",
         Kind::kGauge,
         "Quarantine entries in the spool, waiting for PostgreSQL's quarantine table",
         {}},
        {"memolib_spool_bytes",
         Kind::kGauge,
         "Bytes the spooled messages take in the spool file (capped by storage.spool.max_size)",
         {}},
        {"memolib_spool_drained_total",
         Kind::kCounter,
         "Spooled messages moved into PostgreSQL, by result (stored, or duplicate: already there)",
         {}},
        {"memolib_spool_drain_failures_total",
         Kind::kCounter,
         "Attempts of the drainer that failed (PostgreSQL still down, or refusing every row)",
         {}},
        {"memolib_spool_failures_total",
         Kind::kCounter,
         "Batches neither PostgreSQL nor the spool took (spool full, its disk full): answered 503",
         {}},
        {"memolib_spool_oldest_age_seconds",
         Kind::kGauge,
         "Age of the oldest message waiting in the spool for PostgreSQL; 0 when it is empty "
         "(present only with a spool)",
         {}},
        {"memolib_cache_hits_total", Kind::kCounter, "Lookups found, by cache (dedup, replay)", {}},
        {"memolib_cache_misses_total", Kind::kCounter, "Lookups not found, by cache", {}},
        {"memolib_cache_evictions_total",
         Kind::kCounter,
         "Entries dropped for room or age, by cache",
         {}},
        {"memolib_plugins_loaded", Kind::kGauge, "Plugins loaded, by name and version", {}},
        {"memolib_plugins_refused", Kind::kGauge, "Plugin files refused at load", {}},
        {"memolib_reloads_total",
         Kind::kCounter,
         "Configuration reloads, by result (ok, failed) and trigger (signal, api)",
         {}},
        {"memolib_config_generation",
         Kind::kGauge,
         "Number of the configuration in force: 1 at start, one more per successful reload",
         {}},
    };
    return kAll;
}

const Declaration* find(std::string_view name) {
    for (const Declaration& d : declarations()) {
        if (name == d.name) return &d;
    }
    return nullptr;
}

void append_escaped(std::string& out, std::string_view v) {
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
}

// Built in one buffer per thread, reused: this runs for every request.
const std::string& label_text(const Labels& labels) {
    thread_local std::string out;
    out.clear();
    for (const auto& [k, v] : labels) {
        if (!out.empty()) out += ',';
        out += k;
        out += "=\"";
        append_escaped(out, v);
        out += '"';
    }
    return out;
}

// The entry `key` of `map`, created on first use; no allocation once it exists.
template <class Map>
auto& entry_of(Map& map, std::string_view key) {
    auto it = map.find(key);
    if (it == map.end()) it = map.emplace(std::string(key), typename Map::mapped_type{}).first;
    return it->second;
}

std::string number(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
}

std::string series(const std::string& name, const std::string& labels,
                   const std::string& extra = {}) {
    std::string all = labels;
    if (!extra.empty()) all += (all.empty() ? "" : ",") + extra;
    return all.empty() ? name : name + "{" + all + "}";
}

}  // namespace

Metrics& Metrics::instance() {
    static Metrics m;
    return m;
}

void Metrics::add(std::string_view name, const Labels& labels, double value) {
    const std::string& key = label_text(labels);
    std::lock_guard<std::mutex> lock(mutex_);
    entry_of(entry_of(values_, name), key) += value;
}

void Metrics::set(std::string_view name, const Labels& labels, double value) {
    const std::string& key = label_text(labels);
    std::lock_guard<std::mutex> lock(mutex_);
    entry_of(entry_of(values_, name), key) = value;
}

void Metrics::observe(std::string_view name, const Labels& labels, double value) {
    const Declaration* d = find(name);
    if (d == nullptr) return;
    const std::string& key = label_text(labels);
    std::lock_guard<std::mutex> lock(mutex_);
    Histogram& h = entry_of(entry_of(histograms_, name), key);
    if (h.counts.empty()) h.counts.assign(d->buckets.size(), 0);
    for (std::size_t i = 0; i < d->buckets.size(); ++i) {
        if (value <= d->buckets[i]) h.counts[i] += 1;
    }
    h.sum += value;
    h.count += 1;
}

void Metrics::clear(std::string_view name) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = values_.find(name);
    if (it != values_.end()) values_.erase(it);
}

void Metrics::on_render(std::function<void(Metrics&)> collect) {
    std::lock_guard<std::mutex> lock(mutex_);
    collectors_.push_back(std::move(collect));
}

void Metrics::reset() {
    std::lock_guard<std::mutex> lock(mutex_);
    values_.clear();
    histograms_.clear();
    collectors_.clear();
}

std::string Metrics::render() {
    std::vector<std::function<void(Metrics&)>> collectors;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        collectors = collectors_;
    }
    for (auto& c : collectors) c(*this);
    std::lock_guard<std::mutex> lock(mutex_);
    std::string out;
    for (const Declaration& d : declarations()) {
        out += std::string("# HELP ") + d.name + " " + d.help + "\n";
        out += std::string("# TYPE ") + d.name + " " +
               (d.kind == Kind::kCounter ? "counter"
                : d.kind == Kind::kGauge ? "gauge"
                                         : "histogram") +
               "\n";
        if (d.kind == Kind::kHistogram) {
            auto it = histograms_.find(d.name);
            if (it == histograms_.end()) continue;
            for (const auto& [labels, h] : it->second) {
                for (std::size_t i = 0; i < d.buckets.size(); ++i) {
                    out += series(std::string(d.name) + "_bucket", labels,
                                  "le=\"" + number(d.buckets[i]) + "\"") +
                           " " + number(h.counts[i]) + "\n";
                }
                out += series(std::string(d.name) + "_bucket", labels, "le=\"+Inf\"") + " " +
                       number(h.count) + "\n";
                out += series(std::string(d.name) + "_sum", labels) + " " + number(h.sum) + "\n";
                out +=
                    series(std::string(d.name) + "_count", labels) + " " + number(h.count) + "\n";
            }
            continue;
        }
        auto it = values_.find(d.name);
        if (it == values_.end()) continue;
        for (const auto& [labels, v] : it->second)
            out += series(d.name, labels) + " " + number(v) + "\n";
    }
    return out;
}

}  // namespace memolib::core
