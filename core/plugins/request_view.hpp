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
    /// Points the view at `ex`, keeping its buffers.
    void build(const Exchange& ex);
    /// The view with `body` as the request's body.
    const memolib_request_t& with_body(const std::string& body);

private:
    std::vector<memolib_pair_t> headers_;
    std::string content_type_;
    std::string public_url_;
    memolib_request_t request_{};
};

/// The plugins' view of `ex`, built on first use and kept by the exchange, so that the
/// handshake, verify and parse share one (its headers and signed URL gathered once), and a
/// reused exchange reuses its buffers. Its body is the exchange's as it is now: the handshake
/// runs before the body is read.
const memolib_request_t& plugin_request(Exchange& ex);

/// The URL a provider signed: the channel's public_url (plus the query), or the request's own
/// scheme, Host header, path and query.
std::string signed_url(const Exchange& ex);

}  // namespace memolib::core
