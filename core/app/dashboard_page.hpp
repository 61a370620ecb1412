#pragma once

#include <string>

namespace memolib::core {

/// The self-contained HTML of /dashboard (core/app/dashboard.html, embedded at build time).
const std::string& dashboard_page();

}  // namespace memolib::core
