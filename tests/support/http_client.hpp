// A small blocking HTTP/1.1 client over POSIX sockets, for end-to-end tests only.
// No Beast, no Asio: the tests must not share the server's HTTP code, and must stay cheap to
// compile. Every operation has a deadline; a timeout or a broken response throws HttpError.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace memolib::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct HttpRequest {
    std::string method = "GET";
    std::string target = "/";
    /// Sent as given. Host and Connection: close are added unless present; Content-Length is
    /// added for a non-empty body unless a Content-Length or Transfer-Encoding is present.
    Headers headers;
    std::string body;
};

struct HttpResponse {
    int status = 0;
    std::string reason;
    Headers headers;
    /// Decoded body (chunked transfer coding removed; content codings left as they are).
    std::string body;

    /// The first header of that name (case-insensitive), if any.
    std::optional<std::string> header(std::string_view name) const;
};

/// The request line and headers of `request`, ending with the blank line; no body.
std::string serialize_head(const HttpRequest& request);

/// One TCP connection to 127.0.0.1:port.
class HttpConnection {
public:
    HttpConnection(std::uint16_t port, std::chrono::milliseconds timeout);
    ~HttpConnection();
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    /// Sends every byte or throws (a reset or a timeout).
    void send_all(std::string_view data);

    struct SendResult {
        /// How many bytes of the data were sent.
        std::size_t sent = 0;
        /// The server answered (a complete response is buffered) before all was sent.
        bool answered_early = false;
        /// The server closed or reset the connection while we were sending.
        bool send_failed = false;
    };
    /// Sends `data` while watching for the server's answer, as a browser or curl does: stops
    /// sending as soon as a complete response has arrived, or when the server closes its
    /// side. Never throws for a reset; throws HttpError on timeout.
    SendResult send_watching(std::string_view data);

    /// Reads one response. Interim 1xx responses are skipped unless `keep_interim`.
    HttpResponse read_response(bool keep_interim = false);

    /// True when the server answered nothing within `wait` (used after a partial request).
    bool nothing_received_within(std::chrono::milliseconds wait);

    /// Waits for the server to close the connection (EOF or reset) within the timeout.
    bool wait_for_close();

    /// Everything not yet read, as raw bytes, up to the server's close; throws HttpError when
    /// the server does not close within the timeout.
    std::string read_until_close();

    /// True when the server reset the connection (rather than closing it in order).
    bool was_reset() const { return reset_; }

    /// Half-closes the sending side.
    void shutdown_send();

private:
    /// Reads what is available into buffer_, waiting until the deadline. False on EOF.
    bool fill(std::chrono::steady_clock::time_point deadline);
    std::optional<HttpResponse> try_parse(bool eof);

    int fd_ = -1;
    std::chrono::milliseconds timeout_;
    std::string buffer_;
    /// Responses already parsed by send_watching, not yet returned by read_response.
    std::deque<HttpResponse> pending_;
    bool eof_ = false;
    bool reset_ = false;
};

/// Sends one request on a new connection and reads the answer.
HttpResponse http_request(std::uint16_t port, const HttpRequest& request,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// Shorthands.
HttpResponse http_get(std::uint16_t port, const std::string& target, const Headers& headers = {});
HttpResponse http_post(std::uint16_t port, const std::string& target,
                       const std::string& content_type, const std::string& body,
                       const Headers& headers = {});

}  // namespace memolib::test
