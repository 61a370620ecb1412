#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace memolib::core {

/// Label pairs of one series, e.g. {{"channel", "form"}, {"status", "200"}}, as views of what
/// the caller has: nothing is copied unless the series is new.
using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

/// Counters, gauges and histograms, rendered in the Prometheus text exposition format.
/// Thread-safe. Every metric name must be declared (kind and help text) in metrics.cpp.
class Metrics {
public:
    static Metrics& instance();

    void add(std::string_view name, const Labels& labels, double value = 1);
    void set(std::string_view name, const Labels& labels, double value);
    void observe(std::string_view name, const Labels& labels, double value);
    /// Forgets every series of `name` (a gauge whose label sets change, such as the plugins).
    void clear(std::string_view name);
    /// Runs `collect` before each rendering (for values owned elsewhere, such as cache counts).
    void on_render(std::function<void(Metrics&)> collect);
    /// Forgets every value and collector (tests, and a restart of the process's state).
    void reset();

    std::string render();

private:
    struct Histogram {
        std::vector<double> counts;
        double sum = 0;
        double count = 0;
    };

    std::mutex mutex_;
    // Transparent comparators: a lookup by string_view allocates nothing.
    std::map<std::string, std::map<std::string, double, std::less<>>, std::less<>> values_;
    std::map<std::string, std::map<std::string, Histogram, std::less<>>, std::less<>> histograms_;
    std::vector<std::function<void(Metrics&)>> collectors_;
};

inline Metrics& metrics() { return Metrics::instance(); }

}  // namespace memolib::core
