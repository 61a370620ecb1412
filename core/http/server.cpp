#include "http/server.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <limits>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "observability/logger.hpp"
#include "util/encoding.hpp"
#include "util/time_format.hpp"

namespace memolib::core {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

void assign_request_id(std::string& id, const std::string* candidate) {
    if (candidate != nullptr && !candidate->empty() && candidate->size() <= 128) {
        bool ok = true;
        for (char c : *candidate) {
            ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-');
        }
        if (ok) {
            id = *candidate;
            return;
        }
    }
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const std::array<std::uint64_t, 2> random{rng(), rng()};
    id.clear();
    append_hex(id, std::string_view(reinterpret_cast<const char*>(random.data()), sizeof random));
}

namespace {

// Bytes and time spent discarding what a client still sends after an early answer, as nginx's
// lingering_close does; past either, the connection is closed anyway.
constexpr std::size_t kLingerMaxBytes = std::size_t{16} * 1024 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(5);
// After a failed accept (out of file descriptors, most often), the pause before the next one,
// and the shortest interval between two log lines about it.
constexpr auto kAcceptPause = std::chrono::milliseconds(100);
constexpr auto kAcceptLogInterval = std::chrono::seconds(1);
// File descriptors kept for the gateway's own files (storage connections, Redis, event loops,
// log) when server.max_connections is derived from the open-file limit: an eighth of the
// limit, at least this many, and never more than a quarter of a small limit.
constexpr std::uint64_t kReservedFiles = 64;
// What the first read of a kept-alive connection's next request takes at most.
constexpr std::size_t kFirstReadBytes = 4096;

// Each I/O thread runs its own io_context, and a connection lives on one of them: its handlers
// never run concurrently, so it needs no strand, and its executor is the concrete one rather
// than a type-erased any_io_executor (which allocates when it wraps a strand).
using Executor = net::io_context::executor_type;
using Socket = net::basic_stream_socket<net::ip::tcp, Executor>;
using Stream = beast::basic_stream<net::ip::tcp, Executor>;

// Exchanges are reused on the thread that served them: a request then allocates little of what
// it holds (its body, its answer, its vectors), and an idle keep-alive connection holds none.
// Bounded in count and in what a pooled exchange may keep, so that one large e-mail does not
// stay in memory.
constexpr std::size_t kPooledExchanges = 64;
constexpr std::size_t kPooledBytes = std::size_t{64} * 1024;

std::vector<std::shared_ptr<Exchange>>& exchange_pool() {
    thread_local std::vector<std::shared_ptr<Exchange>> pool;
    return pool;
}

std::shared_ptr<Exchange> take_exchange() {
    auto& pool = exchange_pool();
    if (pool.empty()) return std::make_shared<Exchange>();
    std::shared_ptr<Exchange> ex = std::move(pool.back());
    pool.pop_back();
    ex->started = std::chrono::steady_clock::now();
    return ex;
}

// Only an exchange nothing else holds goes back: a storage writer may still hold its job.
void give_back(std::shared_ptr<Exchange>& ex) {
    auto& pool = exchange_pool();
    const auto small = [](const Exchange& e) {
        return e.body.capacity() <= kPooledBytes && e.response_body.capacity() <= kPooledBytes &&
               e.messages_json.capacity() <= kPooledBytes && e.target.capacity() <= kPooledBytes &&
               e.messages.capacity() * sizeof(NormalizedMessage) <= kPooledBytes;
    };
    if (ex && ex.use_count() == 1 && pool.size() < kPooledExchanges && small(*ex)) {
        // Pairs with the release of the last other owner's reference (a storage thread's),
        // so that what it did with the exchange happens before the reset.
        std::atomic_thread_fence(std::memory_order_acquire);
        ex->reset();
        pool.push_back(std::move(ex));
    }
    ex.reset();
}

struct Shared {
    Shared(const ServerConfig& c, HttpHandler& h) : config(c), handler(h) {}
    const ServerConfig& config;
    HttpHandler& handler;
    /// Requests from their headers to their answer's last byte: what a shutdown waits for.
    std::atomic<int> in_flight{0};
    /// Set at shutdown: sessions take no new request and close after their answer.
    std::atomic<bool> stopping{false};
    /// Connections open now, and at most: beyond it the acceptor waits for one to close.
    std::atomic<std::uint64_t> connections{0};
    std::uint64_t max_connections = 0;
    /// Set while the acceptor waits for a connection to close; `slot_freed` (posted to the
    /// acceptor's thread) resumes it.
    std::atomic<bool> accept_waiting{false};
    std::function<void()> slot_freed;
};

// Checks what decides how the request is framed and whom it is for, before anything acts on
// it (RFC 9112 §3.2, §6.1, §6.3). False, with `ex` answered, when the request must be refused;
// the connection is then closed, since what follows it cannot be trusted to be a request.
bool acceptable_framing(Exchange& ex, unsigned version, bool body_follows) {
    int hosts = 0;
    int authorizations = 0;
    std::vector<beast::string_view> codings;
    bool transfer_encoding = false;
    const std::string* content_encoding = nullptr;
    for (const auto& [name, value] : ex.headers) {
        if (beast::iequals(name, "Host")) {
            ++hosts;
        } else if (beast::iequals(name, "Authorization")) {
            ++authorizations;
        } else if (beast::iequals(name, "Transfer-Encoding")) {
            transfer_encoding = true;
            beast::string_view list = value;
            while (!list.empty()) {
                const std::size_t comma = list.find(',');
                beast::string_view item = list.substr(0, comma);
                list = comma == beast::string_view::npos ? beast::string_view{}
                                                         : list.substr(comma + 1);
                item = trim_ows(item.substr(0, item.find(';')));
                if (!item.empty()) codings.push_back(item);
            }
        } else if (beast::iequals(name, "Content-Encoding") &&
                   !beast::iequals(trim_ows(beast::string_view(value)), "identity") &&
                   !trim_ows(beast::string_view(value)).empty()) {
            content_encoding = &value;
        }
    }
    if (version >= 11 && hosts == 0) {
        ex.fail(400, "bad_request", "an HTTP/1.1 request needs a Host header");
        return false;
    }
    if (hosts > 1 || authorizations > 1) {
        ex.fail(400, "bad_request",
                std::string("the request has more than one ") +
                    (hosts > 1 ? "Host" : "Authorization") + " header");
        return false;
    }
    if (transfer_encoding) {
        const bool chunked_last =
            !codings.empty() && beast::iequals(codings.back(), "chunked") &&
            std::none_of(codings.begin(), codings.end() - 1,
                         [](beast::string_view c) { return beast::iequals(c, "chunked"); });
        if (version < 11 || !chunked_last) {
            ex.fail(400, "bad_request",
                    "the body's length cannot be determined: Transfer-Encoding must end with "
                    "chunked, once, in HTTP/1.1");
            return false;
        }
        if (codings.size() > 1) {
            ex.fail(415, "unsupported_encoding",
                    "the transfer coding '" + std::string(codings.front()) +
                        "' is not supported; send the body with chunked alone");
            ex.response_headers.emplace_back("Accept-Encoding", "identity");
            return false;
        }
    }
    if (content_encoding != nullptr && body_follows) {
        ex.fail(415, "unsupported_encoding",
                "the content coding '" + *content_encoding +
                    "' is not supported; send the body without Content-Encoding");
        ex.response_headers.emplace_back("Accept-Encoding", "identity");
        return false;
    }
    return true;
}

// An absolute-form target (RFC 9112 §3.2.2) becomes its origin form, and its authority the
// Host, which it replaces.
void to_origin_form(Exchange& ex) {
    static constexpr std::array<beast::string_view, 2> kSchemes{"http://", "https://"};
    for (beast::string_view scheme : kSchemes) {
        if (ex.target.size() < scheme.size() ||
            !beast::iequals(beast::string_view(ex.target).substr(0, scheme.size()), scheme)) {
            continue;
        }
        const std::size_t end = ex.target.find_first_of("/?", scheme.size());
        std::string authority = ex.target.substr(scheme.size(), end - scheme.size());
        std::string rest = end == std::string::npos ? std::string() : ex.target.substr(end);
        if (rest.empty() || rest.front() == '?') rest.insert(0, 1, '/');
        ex.target = std::move(rest);
        for (auto& [name, value] : ex.headers) {
            if (beast::iequals(name, "Host")) value = authority;
        }
        return;
    }
}

// Beast's parser, writing the request line, fields and body straight into the exchange:
// Beast's own message would allocate a node per field, to be copied out at once.
class RequestParser final : public http::basic_parser<true> {
public:
    explicit RequestParser(Exchange& ex) : ex_(ex) {}
    /// 11 for HTTP/1.1, 10 for HTTP/1.0.
    unsigned version() const { return version_; }

private:
    void on_request_impl(http::verb, beast::string_view method, beast::string_view target,
                         int version, beast::error_code&) override {
        version_ = static_cast<unsigned>(version);
        ex_.method.assign(method.data(), method.size());
        ex_.target.assign(target.data(), target.size());
    }
    void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
    void on_field_impl(http::field, beast::string_view name, beast::string_view value,
                       beast::error_code&) override {
        auto& [n, v] = ex_.headers.emplace_back();
        n.assign(name.data(), name.size());
        v.assign(value.data(), value.size());
    }
    void on_header_impl(beast::error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                           beast::error_code&) override {
        ex_.body.clear();
        // Within the channel's limit: the session refused a larger Content-Length.
        if (length) ex_.body.reserve(static_cast<std::size_t>(*length));
    }
    std::size_t on_body_impl(beast::string_view body, beast::error_code&) override {
        ex_.body.append(body.data(), body.size());
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                   beast::error_code&) override {
        ex_.body.append(body.data(), body.size());
        return body.size();
    }
    void on_finish_impl(beast::error_code&) override {}

    Exchange& ex_;
    unsigned version_ = 11;
};

class Session : public std::enable_shared_from_this<Session> {
public:
    // Counted by the acceptor before it made the session.
    Session(Socket&& socket, Shared& shared) : stream_(std::move(socket)), shared_(shared) {}
    ~Session() {
        end_request();
        --shared_.connections;
        if (shared_.accept_waiting.load() && !shared_.stopping) shared_.slot_freed();
    }

    // Called on the acceptor's thread: the session starts on its own connection's thread, so
    // that none of its operations is started from one thread while completing on another.
    void run() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            beast::error_code ec;
            auto endpoint = self->stream_.socket().remote_endpoint(ec);
            self->remote_ = ec ? std::string() : endpoint.address().to_string();
            self->do_read_header();
        });
    }

private:
    void do_read_header() {
        if (served_ == 0 || buffer_.size() > 0) return start_request();
        // A kept-alive connection may idle until the next request's first byte; from then on
        // its headers get header_timeout like the first request's, so that one honest
        // request does not buy a slow client idle_timeout for every header that follows.
        stream_.expires_after(std::chrono::milliseconds(shared_.config.idle_timeout_ms));
        stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                                [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                    if (ec) return self->close();
                                    self->buffer_.commit(n);
                                    self->start_request();
                                });
    }

    // Once a request has begun, or may begin at once: an idle connection holds no exchange.
    void start_request() {
        // The parser writes into the exchange as it reads.
        if (!ex_) ex_ = take_exchange();
        parser_.emplace(*ex_);
        parser_->header_limit(static_cast<std::uint32_t>(shared_.config.max_header_bytes));
        // Beast would check Content-Length against its 1 MB default while parsing the header;
        // the channel's own limit is applied once the route is known. Not boost::none: Beast
        // 1.74 compares Content-Length against an empty optional as if it were exceeded.
        parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
        read_header_within_timeout();
    }

    void read_header_within_timeout() {
        // One read usually brings the whole request: parse what is here at once rather than
        // through an asynchronous read that would only post its result.
        beast::error_code ec;
        if (parse_buffered(*parser_, ec)) return on_header(ec, 0);
        stream_.expires_after(std::chrono::milliseconds(shared_.config.header_timeout_ms));
        http::async_read_header(stream_, buffer_, *parser_,
                                beast::bind_front_handler(&Session::on_header, shared_from_this()));
    }

    void on_header(beast::error_code ec, std::size_t) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
            ec == net::error::operation_aborted || ec == net::error::connection_reset ||
            ec == net::error::eof) {
            return close();
        }
        ex_->started = std::chrono::steady_clock::now();
        ex_->received_at_ms = now_ms();
        ex_->remote_address = remote_;
        begin_request();
        if (ec) {
            assign_request_id(ex_->request_id, nullptr);
            if (ec == http::error::header_limit) {
                ex_->fail(431, "header_too_large",
                          "the request line and headers exceed " +
                              std::to_string(shared_.config.max_header_bytes) + " bytes");
            } else {
                ex_->fail(400, "bad_request", "malformed HTTP request: " + ec.message());
            }
            return write_response(true);
        }
        keep_alive_ = parser_->keep_alive();
        if (auto len = parser_->content_length()) ex_->content_length = *len;
        const bool body_follows =
            parser_->chunked() || (ex_->content_length && *ex_->content_length > 0);
        assign_request_id(ex_->request_id, ex_->header("X-Request-Id"));
        if (!acceptable_framing(*ex_, parser_->version(), body_follows))
            return write_response(true);
        // The method is known before any answer, so that even an early answer to a HEAD has
        // no body.
        if (shared_.stopping) {
            // A request on a kept-alive connection after SIGTERM: its client should go to
            // another instance rather than wait for this one to drain.
            assign_request_id(ex_->request_id, nullptr);
            ex_->fail(503, "shutting_down", "this instance is shutting down; retry");
            ex_->response_headers.emplace_back("Retry-After", "1");
            return write_response(true);
        }
        if (!ex_->target.empty() && ex_->target.front() != '/') to_origin_form(*ex_);
        std::size_t q = ex_->target.find('?');
        ex_->path.assign(ex_->target, 0, q);
        if (q != std::string::npos) ex_->query.assign(ex_->target, q + 1);
        if (const std::string* ct = ex_->header("Content-Type")) ex_->content_type = *ct;

        std::optional<std::uint64_t> limit = shared_.handler.admit(*ex_);
        if (!limit) {
            // Answered before the body: the connection cannot be reused for what follows, nor
            // kept when the client asked to close it.
            return write_response(body_follows || !keep_alive_);
        }
        if (!body_follows) return on_body_read();
        const std::string* expect = ex_->header("Expect");
        if (expect != nullptr && beast::iequals(*expect, "100-continue")) {
            auto cont =
                std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
            // Its own deadline: the header may have been parsed without a timed read.
            stream_.expires_after(std::chrono::milliseconds(shared_.config.header_timeout_ms));
            return http::async_write(stream_, *cont,
                                     [self = shared_from_this(), cont, limit = *limit](
                                         beast::error_code wec, std::size_t) {
                                         if (wec) return self->close();
                                         self->do_read_body(limit);
                                     });
        }
        do_read_body(*limit);
    }

    void do_read_body(std::uint64_t limit) {
        body_limit_ = limit;
        // Refused before any byte of the body, even without the size_limit stage; Beast checks
        // a chunked body against the limit as it grows.
        if (ex_->content_length && *ex_->content_length > limit)
            return on_body(http::error::body_limit, 0);
        parser_->body_limit(limit);
        beast::error_code ec;
        if (parse_buffered(*parser_, ec)) return on_body(ec, 0);
        stream_.expires_after(std::chrono::milliseconds(shared_.config.body_timeout_ms));
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&Session::on_body, shared_from_this()));
    }

    // Feeds the bytes already buffered to `parser`, which stops after the header when it has
    // not read it yet (the header parser) or at the end of the body. True when that settled
    // the phase: complete, or an error such as a header or body limit; false when the socket
    // must be read for more.
    template <class Parser>
    bool parse_buffered(Parser& parser, beast::error_code& ec) {
        const bool header_phase = !parser.is_header_done();
        auto settled = [&] { return header_phase ? parser.is_header_done() : parser.is_done(); };
        while (buffer_.size() > 0 && !settled()) {
            const std::size_t used = parser.put(buffer_.data(), ec);
            buffer_.consume(used);
            if (ec == http::error::need_more) {
                ec = {};
                return false;
            }
            if (ec) return true;
            if (used == 0) return false;
        }
        return settled();
    }

    void on_body(beast::error_code ec, std::size_t) {
        if (ec == http::error::body_limit) {
            ex_->fail(413, "payload_too_large",
                      "the body is larger than the " + std::to_string(body_limit_) +
                          " bytes this channel accepts");
            return write_response(true);
        }
        if (ec == beast::error::timeout) {
            ex_->fail(408, "request_timeout", "the body was not received in time");
            return write_response(true);
        }
        if (ec) return close();
        on_body_read();
    }

    void on_body_read() {
        parser_.reset();
        auto self = shared_from_this();
        // Weak: the exchange belongs to this session, and a strong reference back would make
        // a cycle that outlives a shutdown. While the pipeline works, `done` keeps it alive.
        ex_->dispatch = [weak = weak_from_this()](std::function<void()> fn) {
            if (auto session = weak.lock())
                net::post(session->stream_.get_executor(), std::move(fn));
        };
        // No timer runs while the pipeline works: its own limits (storage retries) bound it.
        stream_.expires_never();
        // Inline when the pipeline finished on this connection's thread (a replay, a refusal,
        // a commit already handed back by `dispatch`); posted from any other thread.
        shared_.handler.handle(ex_, [self] {
            net::dispatch(self->stream_.get_executor(),
                          [self] { self->write_response(!self->keep_alive_); });
        });
    }

    void write_response(bool close_after) {
        close_after_ = close_after || shared_.stopping;
        // An undecided or impossible status is our fault, and said so before it is logged; a
        // 1xx is never a final answer.
        if (ex_->status < 200 || ex_->status > 599) ex_->status = 500;
        // First, so that what it adds (compression, its headers) is part of the answer.
        shared_.handler.completed(*ex_);
        ++served_;
        const int status = ex_->status;
        // Neither a HEAD answer nor one that may not have a body sends one; a HEAD answer
        // still carries the length of the body it does not send.
        const bool bodiless = status == 204 || status == 304;
        write_head(status, bodiless);
        const bool send_body = !bodiless && ex_->method != "HEAD";
        const std::array<net::const_buffer, 2> buffers{
            net::buffer(head_), send_body ? net::buffer(ex_->response_body) : net::const_buffer()};
        stream_.expires_after(std::chrono::milliseconds(shared_.config.body_timeout_ms));
        net::async_write(stream_, buffers,
                         beast::bind_front_handler(&Session::on_write, shared_from_this()));
    }

    // The head of our answers (a status line and a few fields) is written into one buffer:
    // Beast's fields container and generic serializer were a large share of the replay path. CR, LF
    // and NUL are dropped from what goes in, so no value can split the head. Of two answer headers
    // with one name, the last is sent; the fields the session writes itself are its own.
    void write_head(int status, bool bodiless) {
        auto append = [this](std::string_view text) {
            std::size_t from = 0;
            for (std::size_t i = 0; i < text.size(); ++i) {
                if (text[i] != '\r' && text[i] != '\n' && text[i] != '\0') continue;
                head_.append(text.data() + from, i - from);
                from = i + 1;
            }
            head_.append(text.data() + from, text.size() - from);
        };
        auto field = [&](std::string_view name, std::string_view value) {
            append(name);
            head_ += ": ";
            append(value);
            head_ += "\r\n";
        };
        head_.clear();
        head_ += "HTTP/1.1 ";
        char number[24];
        head_.append(number, std::to_chars(number, number + sizeof number, status).ptr);
        head_ += ' ';
        const beast::string_view reason = http::obsolete_reason(http::int_to_status(status));
        append({reason.data(), reason.size()});
        head_ += "\r\n";
        field("Server", "memolib-gateway");
        field("Content-Type", ex_->response_content_type);
        field("X-Request-Id", ex_->request_id);
        // A plugin's handshake answer echoes what the request sent: no browser may take it
        // for HTML or script, nor any other answer for what it does not say it is.
        field("X-Content-Type-Options", "nosniff");
        const auto& extra = ex_->response_headers;
        for (std::size_t i = 0; i < extra.size(); ++i) {
            static constexpr std::array<beast::string_view, 6> kOwn{
                "Server",     "Content-Type",   "X-Request-Id",
                "Connection", "Content-Length", "X-Content-Type-Options"};
            const bool own = std::any_of(kOwn.begin(), kOwn.end(), [&](beast::string_view name) {
                return beast::iequals(name, extra[i].first);
            });
            const bool replaced =
                own || std::any_of(extra.begin() + static_cast<std::ptrdiff_t>(i) + 1, extra.end(),
                                   [&](const auto& later) {
                                       return beast::iequals(later.first, extra[i].first);
                                   });
            if (!replaced) field(extra[i].first, extra[i].second);
        }
        if (close_after_) field("Connection", "close");
        if (!bodiless) {
            const std::size_t length = ex_->response_body.size();
            field(
                "Content-Length",
                {number, static_cast<std::size_t>(
                             std::to_chars(number, number + sizeof number, length).ptr - number)});
        }
        head_ += "\r\n";
    }

    void on_write(beast::error_code ec, std::size_t) {
        give_back(ex_);
        end_request();
        if (ec) return close();
        if (close_after_) return linger();
        do_read_header();
    }

    // Half-close, then read and drop what the client still sends, so that its TCP stack does
    // not turn our early answer into a reset it never reads.
    void linger() {
        beast::error_code ec;
        stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
        linger_deadline_ = std::chrono::steady_clock::now() + kLingerTime;
        linger_bytes_ = 0;
        do_linger_read();
    }

    void do_linger_read() {
        auto left = linger_deadline_ - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero() ||
            linger_bytes_ > kLingerMaxBytes) {
            return close();
        }
        stream_.expires_after(left);
        // Allocated only by a connection that lingers: 1,000 idle keep-alive connections
        // would otherwise hold 16 MiB of it.
        if (!drain_) drain_ = std::make_unique<std::array<char, 16384>>();
        stream_.async_read_some(net::buffer(*drain_),
                                [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                    if (ec) return self->close();
                                    self->linger_bytes_ += n;
                                    self->do_linger_read();
                                });
    }

    void begin_request() {
        if (!counted_) ++shared_.in_flight;
        counted_ = true;
    }

    void end_request() {
        if (counted_) --shared_.in_flight;
        counted_ = false;
    }

    void close() {
        end_request();
        beast::error_code ec;
        stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
        stream_.close();
    }

    Stream stream_;
    Shared& shared_;
    beast::flat_buffer buffer_;
    std::optional<RequestParser> parser_;
    std::string head_;
    std::shared_ptr<Exchange> ex_;
    std::string remote_;
    bool keep_alive_ = true;
    bool close_after_ = false;
    std::uint64_t served_ = 0;
    std::chrono::steady_clock::time_point linger_deadline_;
    std::size_t linger_bytes_ = 0;
    std::uint64_t body_limit_ = 0;
    bool counted_ = false;
    std::unique_ptr<std::array<char, 16384>> drain_;
};

}  // namespace

struct HttpServer::Impl {
    Impl(const ServerConfig& c, HttpHandler& h)
        : config(c),
          shared(config, h),
          contexts(make_contexts(c.threads)),
          main(*contexts.front()),
          acceptor(main),
          signals(main, SIGINT, SIGTERM),
          hangup(main),
          grace_timer(main),
          accept_timer(main) {
        // Sessions end on any thread; the acceptor is the first context's.
        shared.slot_freed = [this] { net::post(main, [this] { resume_accept(); }); };
    }

    static std::vector<std::unique_ptr<net::io_context>> make_contexts(int threads) {
        std::vector<std::unique_ptr<net::io_context>> out;
        for (int i = 0; i < std::max(threads, 1); ++i)
            out.push_back(std::make_unique<net::io_context>(1));
        return out;
    }

    void wait_for_hangup() {
        hangup.async_wait([this](beast::error_code ec, int) {
            if (ec) return;
            log().info("signal_received", {{"signal", SIGHUP}});
            on_hangup();
            wait_for_hangup();
        });
    }

    // Connections go to the threads in turn; wrk and providers alike keep them alive, so the
    // load spreads with them.
    void do_accept() {
        if (shared.connections.load() >= shared.max_connections) return wait_for_slot(false);
        net::io_context& next = *contexts[next_context++ % contexts.size()];
        acceptor.async_accept(next, [this](beast::error_code ec, Socket socket) {
            if (!ec) {
                ++shared.connections;
                std::make_shared<Session>(std::move(socket), shared)->run();
                return do_accept();
            }
            if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
            ++accept_failures;
            if (std::chrono::steady_clock::now() >= next_accept_log) {
                log().warn("accept_failed", {{"error", ec.message()},
                                             {"suppressed", accept_failures - 1},
                                             {"connections", shared.connections.load()}});
                accept_failures = 0;
                next_accept_log = std::chrono::steady_clock::now() + kAcceptLogInterval;
            }
            // A connection reset before it was accepted is gone; anything else (out of file
            // descriptors, of memory) persists while the connection waits in the backlog, and
            // an accept retried at once would fail again at once.
            if (ec == net::error::connection_aborted) return do_accept();
            wait_for_slot(true);
        });
    }

    // Accepts again once a connection closes, or, after a failed accept, after a pause at most.
    void wait_for_slot(bool failed) {
        if (stopping) return;
        shared.accept_waiting = true;
        if (!failed && shared.connections.load() < shared.max_connections) {
            // A connection closed before the flag was seen.
            shared.accept_waiting = false;
            return do_accept();
        }
        if (!failed && std::chrono::steady_clock::now() >= next_limit_log) {
            log().warn("connection_limit_reached", {{"max_connections", shared.max_connections}});
            next_limit_log = std::chrono::steady_clock::now() + kAcceptLogInterval;
        }
        if (failed) {
            accept_timer.expires_after(kAcceptPause);
            accept_timer.async_wait([this](beast::error_code ec) {
                if (!ec) resume_accept();
            });
        }
    }

    void resume_accept() {
        if (!stopping && shared.accept_waiting.exchange(false)) do_accept();
    }

    void begin_shutdown() {
        if (stopping.exchange(true)) return;
        shared.stopping = true;
        log().info("shutdown_started", {{"in_flight", shared.in_flight.load()}});
        beast::error_code ec;
        acceptor.close(ec);
        accept_timer.cancel();
        deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(config.shutdown_grace_ms);
        wait_for_drain();
    }

    // Polls rather than counting down a latch: requests may finish on any thread.
    void wait_for_drain() {
        if (shared.in_flight.load() == 0 || std::chrono::steady_clock::now() >= deadline) {
            for (auto& context : contexts) context->stop();
            return;
        }
        grace_timer.expires_after(std::chrono::milliseconds(20));
        grace_timer.async_wait([this](beast::error_code) { wait_for_drain(); });
    }

    ServerConfig config;
    Shared shared;
    /// Destroyed after the acceptor, signals and timer, and front to back: a cancelled accept
    /// queued on the first context holds a socket of a later one. The gateway stops every
    /// thread that posts to them (writer, admin worker, Redis) before destroying the server.
    std::vector<std::unique_ptr<net::io_context>> contexts;
    /// The first context: it also runs the acceptor, the signals and the shutdown timer.
    net::io_context& main;
    net::basic_socket_acceptor<net::ip::tcp, Executor> acceptor;
    net::basic_signal_set<Executor> signals;
    net::basic_signal_set<Executor> hangup;
    std::function<void()> on_hangup;
    net::basic_waitable_timer<std::chrono::steady_clock,
                              net::wait_traits<std::chrono::steady_clock>, Executor>
        grace_timer;
    net::basic_waitable_timer<std::chrono::steady_clock,
                              net::wait_traits<std::chrono::steady_clock>, Executor>
        accept_timer;
    std::uint64_t accept_failures = 0;
    std::chrono::steady_clock::time_point next_accept_log;
    std::chrono::steady_clock::time_point next_limit_log;
    std::size_t next_context = 0;
    std::atomic<bool> stopping{false};
    std::chrono::steady_clock::time_point deadline;
};

HttpServer::HttpServer(const ServerConfig& config, HttpHandler& handler)
    : impl_(std::make_unique<Impl>(config, handler)) {}

HttpServer::~HttpServer() = default;

void HttpServer::listen() {
    beast::error_code ec;
    auto address = net::ip::make_address(impl_->config.host, ec);
    if (ec)
        throw std::runtime_error("server.listen: '" + impl_->config.host +
                                 "' is not an IP address");
    net::ip::tcp::endpoint endpoint(address, impl_->config.port);
    auto& acceptor = impl_->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        throw std::runtime_error("cannot listen on " + impl_->config.host + ":" +
                                 std::to_string(impl_->config.port) + ": " + ec.message());
    }
    rlimit files{};
    const std::uint64_t open_files =
        ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY
            ? static_cast<std::uint64_t>(files.rlim_cur)
            : std::numeric_limits<std::uint32_t>::max();
    const std::uint64_t reserved =
        std::min(open_files / 4, std::max(kReservedFiles, open_files / 8));
    const std::uint64_t fitting = open_files - reserved;
    std::uint64_t& max = impl_->shared.max_connections;
    max = impl_->config.max_connections != 0 ? impl_->config.max_connections : fitting;
    if (max > fitting) {
        log().warn("max_connections_above_file_limit",
                   {{"max_connections", max}, {"open_file_limit", open_files}});
    }
}

std::uint16_t HttpServer::port() const {
    beast::error_code ec;
    return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::run() {
    impl_->signals.async_wait([this](beast::error_code ec, int sig) {
        if (!ec) {
            log().info("signal_received", {{"signal", sig}});
            impl_->begin_shutdown();
        }
    });
    impl_->do_accept();
    log().info("listening", {{"address", impl_->config.host},
                             {"port", static_cast<int>(port())},
                             {"threads", impl_->config.threads},
                             {"max_connections", impl_->shared.max_connections}});
    // The other contexts may have no connection yet: the guards keep them running until stop.
    std::vector<net::executor_work_guard<Executor>> guards;
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < impl_->contexts.size(); ++i) {
        net::io_context& context = *impl_->contexts[i];
        guards.push_back(net::make_work_guard(context));
        threads.emplace_back([&context] { context.run(); });
    }
    impl_->main.run();
    for (auto& context : impl_->contexts) context->stop();
    for (auto& t : threads) t.join();
}

std::chrono::steady_clock::time_point HttpServer::shutdown_deadline() const {
    return impl_->deadline;
}

void HttpServer::on_hangup(std::function<void()> fn) {
    impl_->on_hangup = std::move(fn);
    impl_->hangup.add(SIGHUP);
    impl_->wait_for_hangup();
}

void HttpServer::stop() {
    net::post(impl_->main, [this] { impl_->begin_shutdown(); });
}

}  // namespace memolib::core
