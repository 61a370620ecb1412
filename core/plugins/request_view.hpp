#pragma once

#include <string>
#include <vector>

#include "memolib/sdk/abi.h"
#include "pipeline/exchange.hpp"

namespace memolib::core {

/// The ABI view of an exchange's request, handed to a plugin hook. Borrows the exchange's
/// strings: keep the exchange alive and unchanged while the view is in use.
class RequestView {
public:
    explicit RequestView(const Exchange& ex);
    RequestView(const RequestView&) = delete;
    RequestView& operator=(const RequestView&) = delete;
    const memolib_request_t& get() const { return request_; }

private:
    std::vector<memolib_pair_t> headers_;
    std::string content_type_;
    std::string public_url_;
    memolib_request_t request_{};
};

/// The URL a provider signed: the channel's public_url (plus the query), or the request's own
/// scheme, Host header, path and query.
std::string signed_url(const Exchange& ex);

}  // namespace memolib::core
