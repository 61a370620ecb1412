#include "plugins/request_view.hpp"

#include <memory>

namespace memolib::core {

namespace {

memolib_str_t view(const std::string& s) { return {s.data(), s.size()}; }

}  // namespace

namespace {

// The signed URL, written into `url` so that a reused view keeps its buffer.
void write_signed_url(const Exchange& ex, std::string& url) {
    if (ex.channel && !ex.channel->config.public_url.empty()) {
        url = ex.channel->config.public_url;
    } else {
        const std::string* host = ex.header("Host");
        url = "http://";
        if (host != nullptr)
            url += *host;
        else
            url += "localhost";
        url += ex.path;
    }
    if (!ex.query.empty()) {
        url += '?';
        url += ex.query;
    }
}

}  // namespace

std::string signed_url(const Exchange& ex) {
    std::string url;
    write_signed_url(ex, url);
    return url;
}

RequestView::RequestView(const Exchange& ex) { build(ex); }

void RequestView::build(const Exchange& ex) {
    headers_.clear();
    headers_.reserve(ex.headers.size());
    for (const auto& [name, value] : ex.headers) headers_.push_back({view(name), view(value)});
    content_type_.clear();
    if (const std::string* ct = ex.header("Content-Type")) content_type_ = *ct;
    write_signed_url(ex, public_url_);
    request_ = memolib_request_t{};
    request_.struct_size = sizeof(memolib_request_t);
    request_.method = view(ex.method);
    request_.path = view(ex.path);
    request_.query = view(ex.query);
    request_.content_type = view(content_type_);
    request_.public_url = view(public_url_);
    request_.headers = headers_.data();
    request_.header_count = headers_.size();
    request_.body = {reinterpret_cast<const uint8_t*>(ex.body.data()), ex.body.size()};
    request_.remote_address = view(ex.remote_address);
    request_.received_at_ms = ex.received_at_ms;
}

const memolib_request_t& RequestView::with_body(const std::string& body) {
    request_.body = {reinterpret_cast<const uint8_t*>(body.data()), body.size()};
    return request_;
}

const memolib_request_t& plugin_request(Exchange& ex) {
    if (!ex.request_view) {
        ex.request_view = std::make_shared<RequestView>(ex);
    } else if (!ex.request_view_built) {
        ex.request_view->build(ex);
    }
    ex.request_view_built = true;
    return ex.request_view->with_body(ex.body);
}

}  // namespace memolib::core
