#include "observability/dashboard_stats.hpp"

#include <algorithm>
#include <cmath>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "observability/quarantine_pending.hpp"

namespace memolib::core {

namespace {

constexpr double kSmallestMs = 0.01;
constexpr double kGrowth = 1.1;
// 0.01 ms to about 10 minutes.
constexpr std::size_t kBuckets = 190;

struct Totals {
    std::uint64_t requests = 0, success = 0, errors = 0, duplicates = 0;
    std::uint64_t cache_checks = 0, cache_hits = 0;
    std::vector<std::uint64_t> latency = std::vector<std::uint64_t>(kBuckets, 0);

    void add(const Totals& o) {
        requests += o.requests;
        success += o.success;
        errors += o.errors;
        duplicates += o.duplicates;
        cache_checks += o.cache_checks;
        cache_hits += o.cache_hits;
        for (std::size_t i = 0; i < kBuckets; ++i) latency[i] += o.latency[i];
    }

    double percentile(double q) const { return percentile_of(latency, q); }

    // -1 with no sample.
    template <typename Count>
    static double percentile_of(const std::vector<Count>& histogram, double q) {
        std::uint64_t samples = 0;
        for (Count c : histogram) samples += c;
        if (samples == 0) return -1;
        const auto rank =
            std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * samples)));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < histogram.size(); ++i) {
            seen += histogram[i];
            if (seen >= rank) return DashboardStats::bucket_value_ms(i);
        }
        return DashboardStats::bucket_value_ms(kBuckets - 1);
    }
};

// One slot's point of a channel's series; an empty slot has no rate and no percentile.
struct Point {
    std::uint64_t requests = 0, errors = 0;
    double p99_ms = -1;
};

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void rate(Writer& w, const char* key, std::uint64_t part, std::uint64_t whole) {
    w.Key(key);
    if (whole == 0)
        w.Null();
    else
        w.Double(static_cast<double>(part) / static_cast<double>(whole));
}

void millis(Writer& w, const char* key, double value) {
    w.Key(key);
    if (value < 0)
        w.Null();
    else
        w.Double(std::round(value * 1000) / 1000);
}

struct Alert {
    const char* name;
    double value;
    double threshold;
};

std::vector<Alert> alerts_of(const Totals& t, const AlertThresholds& limits) {
    std::vector<Alert> out;
    if (t.requests == 0) return out;
    const auto n = static_cast<double>(t.requests);
    if (t.errors / n > limits.error_rate)
        out.push_back({"error_rate", t.errors / n, limits.error_rate});
    if (t.duplicates / n > limits.duplicate_rate)
        out.push_back({"duplicate_rate", t.duplicates / n, limits.duplicate_rate});
    const double p99 = t.percentile(0.99);
    if (p99 > limits.p99_ms) out.push_back({"p99", p99, limits.p99_ms});
    return out;
}

void write_alert(Writer& w, const Alert& a, const std::string* channel) {
    w.StartObject();
    if (channel != nullptr) {
        w.Key("channel");
        w.String(channel->c_str(), static_cast<rapidjson::SizeType>(channel->size()));
    }
    w.Key("alert");
    w.String(a.name);
    w.Key("value");
    w.Double(a.value);
    w.Key("threshold");
    w.Double(a.threshold);
    w.EndObject();
}

void write_series(Writer& w, const std::vector<Point>& points, double slot_seconds) {
    w.Key("series");
    w.StartObject();
    w.Key("offset_seconds");
    w.StartArray();
    const auto n = static_cast<std::int64_t>(points.size());
    for (std::int64_t i = 0; i < n; ++i) w.Double(static_cast<double>(i - n + 1) * slot_seconds);
    w.EndArray();
    w.Key("requests_per_second");
    w.StartArray();
    for (const Point& p : points) w.Double(static_cast<double>(p.requests) / slot_seconds);
    w.EndArray();
    w.Key("error_rate");
    w.StartArray();
    for (const Point& p : points) {
        if (p.requests == 0)
            w.Null();
        else
            w.Double(static_cast<double>(p.errors) / static_cast<double>(p.requests));
    }
    w.EndArray();
    w.Key("p99_ms");
    w.StartArray();
    for (const Point& p : points) {
        if (p.p99_ms < 0)
            w.Null();
        else
            w.Double(std::round(p.p99_ms * 1000) / 1000);
    }
    w.EndArray();
    w.EndObject();
}

void write_quarantine(Writer& w, const QuarantineSummary& q) {
    w.Key("quarantine");
    w.StartObject();
    w.Key("pending");
    w.Uint64(q.pending);
    w.Key("oldest_age_seconds");
    if (q.pending == 0 || q.oldest_age_seconds < 0)
        w.Null();
    else
        w.Double(std::round(q.oldest_age_seconds * 1000) / 1000);
    w.EndObject();
}

void write_spool(Writer& w, const SpoolSummary* spool) {
    if (spool == nullptr) {
        w.Null();
        return;
    }
    w.StartObject();
    w.Key("depth");
    w.Int64(spool->depth);
    w.Key("oldest_age_seconds");
    if (spool->depth == 0 || spool->oldest_age_seconds < 0)
        w.Null();
    else
        w.Double(std::round(spool->oldest_age_seconds * 1000) / 1000);
    w.Key("bytes");
    w.Uint64(spool->bytes);
    w.Key("max_bytes");
    w.Uint64(spool->max_bytes);
    w.Key("quarantined");
    w.Int64(spool->quarantined);
    w.EndObject();
}

void write_totals(Writer& w, const Totals& t) {
    w.Key("requests");
    w.Uint64(t.requests);
    w.Key("success");
    w.Uint64(t.success);
    w.Key("errors");
    w.Uint64(t.errors);
    w.Key("duplicates");
    w.Uint64(t.duplicates);
    rate(w, "success_rate", t.success, t.requests);
    rate(w, "error_rate", t.errors, t.requests);
    rate(w, "duplicate_rate", t.duplicates, t.requests);
    w.Key("latency_ms");
    w.StartObject();
    millis(w, "p50", t.percentile(0.50));
    millis(w, "p95", t.percentile(0.95));
    millis(w, "p99", t.percentile(0.99));
    w.EndObject();
    w.Key("cache");
    w.StartObject();
    w.Key("lookups");
    w.Uint64(t.cache_checks);
    w.Key("hits");
    w.Uint64(t.cache_hits);
    rate(w, "hit_rate", t.cache_hits, t.cache_checks);
    w.EndObject();
}

}  // namespace

DashboardStats::DashboardStats(std::chrono::milliseconds window, std::size_t slots, Clock& clock)
    : window_ms_(std::max<std::int64_t>(window.count(), 1)),
      slot_ms_(std::max<std::int64_t>(window_ms_ / static_cast<std::int64_t>(slots), 1)),
      slots_(std::max<std::size_t>(slots, 1)),
      clock_(clock) {}

std::string DashboardStats::spool_json(const SpoolSummary& spool) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    write_spool(w, &spool);
    return {buf.GetString(), buf.GetSize()};
}

double DashboardStats::bucket_value_ms(std::size_t bucket) {
    if (bucket == 0) return kSmallestMs;
    const double upper = kSmallestMs * std::pow(kGrowth, static_cast<double>(bucket));
    return upper / std::sqrt(kGrowth);
}

std::size_t DashboardStats::bucket_of(double latency_ms) {
    if (!(latency_ms > kSmallestMs)) return 0;
    const double b = std::ceil(std::log(latency_ms / kSmallestMs) / std::log(kGrowth));
    return std::min(kBuckets - 1, static_cast<std::size_t>(b));
}

void DashboardStats::record(const std::string& channel, const RequestOutcome& outcome) {
    const std::int64_t index = clock_.now_ms() / slot_ms_;
    std::lock_guard<std::mutex> lock(mutex_);
    Ring& ring = channels_[channel];
    if (ring.empty()) ring.resize(slots_);
    Slot& slot = ring[static_cast<std::size_t>(index) % slots_];
    if (slot.index != index) {
        slot = Slot{};
        slot.index = index;
        slot.latency.assign(kBuckets, 0);
    }
    slot.requests += 1;
    if (outcome.duplicate)
        slot.duplicates += 1;
    else if (outcome.status >= 200 && outcome.status < 400)
        slot.success += 1;
    else
        slot.errors += 1;
    if (outcome.cache_checked) {
        slot.cache_checks += 1;
        slot.cache_hits += outcome.cache_hit ? 1 : 0;
    }
    slot.latency[bucket_of(outcome.latency_ms)] += 1;
}

std::string DashboardStats::to_json(const std::vector<std::string>& channels,
                                    const AlertThresholds& thresholds,
                                    const std::map<std::string, QuarantineSummary>* quarantine,
                                    const SpoolSummary* spool) {
    const std::int64_t newest = clock_.now_ms() / slot_ms_;
    const std::int64_t oldest = newest - static_cast<std::int64_t>(slots_) + 1;
    std::map<std::string, Totals> totals;
    std::map<std::string, std::vector<Point>> series;
    for (const std::string& c : channels) {
        totals[c];
        series[c].resize(slots_);
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& [name, ring] : channels_) {
            Totals& t = totals[name];
            std::vector<Point>& points = series[name];
            points.resize(slots_);
            for (const Slot& s : ring) {
                if (s.index < 0 || s.index < oldest || s.index > newest) continue;
                Point& p = points[static_cast<std::size_t>(s.index - oldest)];
                p.requests = s.requests;
                p.errors = s.errors;
                p.p99_ms = Totals::percentile_of(s.latency, 0.99);
                t.requests += s.requests;
                t.success += s.success;
                t.errors += s.errors;
                t.duplicates += s.duplicates;
                t.cache_checks += s.cache_checks;
                t.cache_hits += s.cache_hits;
                for (std::size_t i = 0; i < kBuckets; ++i) t.latency[i] += s.latency[i];
            }
        }
    }
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("window_seconds");
    w.Double(static_cast<double>(window_ms_) / 1000.0);
    w.Key("slot_seconds");
    w.Double(static_cast<double>(slot_ms_) / 1000.0);
    w.Key("thresholds");
    w.StartObject();
    w.Key("error_rate");
    w.Double(thresholds.error_rate);
    w.Key("duplicate_rate");
    w.Double(thresholds.duplicate_rate);
    w.Key("p99_ms");
    w.Double(thresholds.p99_ms);
    w.Key("spool_age_seconds");
    w.Double(thresholds.spool_age_ms / 1000.0);
    w.EndObject();
    Totals all;
    std::vector<std::pair<std::string, Alert>> active;
    w.Key("channels");
    w.StartArray();
    for (const auto& [name, t] : totals) {
        all.add(t);
        w.StartObject();
        w.Key("channel");
        w.String(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
        write_totals(w, t);
        write_series(w, series[name], static_cast<double>(slot_ms_) / 1000.0);
        if (quarantine != nullptr) {
            const auto q = quarantine->find(name);
            write_quarantine(w, q == quarantine->end() ? QuarantineSummary{} : q->second);
        }
        w.Key("alerts");
        w.StartArray();
        for (const Alert& a : alerts_of(t, thresholds)) {
            write_alert(w, a, nullptr);
            active.emplace_back(name, a);
        }
        w.EndArray();
        w.EndObject();
    }
    w.EndArray();
    w.Key("totals");
    w.StartObject();
    write_totals(w, all);
    w.EndObject();
    w.Key("spool");
    write_spool(w, spool);
    w.Key("alerts");
    w.StartArray();
    for (const auto& [name, a] : active) write_alert(w, a, &name);
    // Not a rate of the window: an entry stays pending until an operator acts on it.
    for (const auto& [name, pending] : quarantine_pending().snapshot()) {
        if (pending > 0)
            write_alert(w, {"quarantine_pending", static_cast<double>(pending), 0}, &name);
    }
    // Also not a rate: messages that PostgreSQL has not taken for that long are at risk while
    // they stay on this instance's disk.
    const double spool_age_limit = thresholds.spool_age_ms / 1000.0;
    if (spool != nullptr && spool->depth > 0 && spool->oldest_age_seconds > spool_age_limit)
        write_alert(w, {"spool_not_empty", spool->oldest_age_seconds, spool_age_limit}, nullptr);
    w.EndArray();
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

}  // namespace memolib::core
