#pragma once

#include <string>
#include <utility>
#include <vector>

#include "memolib/sdk/adapter.hpp"

namespace memolib::plugins::email {

// One problem with a request, reported to the host as a field error.
struct Problem {
    std::string field;
    std::string code;
    std::string message;
};

// Every problem found in one request, in the order found.
class Problems {
public:
    void add(std::string field, std::string code, std::string message) {
        list_.push_back({std::move(field), std::move(code), std::move(message)});
    }
    bool empty() const noexcept { return list_.empty(); }
    const std::vector<Problem>& list() const noexcept { return list_; }
    void report(const sdk::Host& host) const {
        for (const Problem& p : list_) host.error(p.field, p.code, p.message);
    }

private:
    std::vector<Problem> list_;
};

}  // namespace memolib::plugins::email
