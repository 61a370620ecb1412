#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace memolib::test {
namespace {

using Clock = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool has_header(const Headers& headers, std::string_view name) {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return iequals(h.first, name); });
}

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t");
    return std::string(s.substr(first, last - first + 1));
}

int remaining_ms(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

std::string serialize_head(const HttpRequest& request) {
    std::string head = request.method;
    head.append(" ").append(request.target).append(" HTTP/1.1\r\n");
    if (!has_header(request.headers, "Host")) {
        head += "Host: 127.0.0.1\r\n";
    }
    if (!has_header(request.headers, "Connection")) {
        head += "Connection: close\r\n";
    }
    if (!request.body.empty() && !has_header(request.headers, "Content-Length") &&
        !has_header(request.headers, "Transfer-Encoding")) {
        head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
    }
    for (const auto& [name, value] : request.headers) {
        head.append(name).append(": ").append(value).append("\r\n");
    }
    head += "\r\n";
    return head;
}

HttpConnection::HttpConnection(std::uint16_t port, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) {
        throw HttpError(errno_text("socket"));
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        if (errno != EINPROGRESS) {
            const std::string error = errno_text("connect");
            ::close(fd_);
            throw HttpError(error + " (port " + std::to_string(port) + ")");
        }
        pollfd p{fd_, POLLOUT, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
        if (ready != 1 || error != 0) {
            ::close(fd_);
            throw HttpError("connect to 127.0.0.1:" + std::to_string(port) + ": " +
                            (ready == 1 ? std::strerror(error) : "timeout"));
        }
    }
}

HttpConnection::~HttpConnection() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void HttpConnection::send_all(std::string_view data) {
    const auto deadline = Clock::now() + timeout_;
    while (!data.empty()) {
        const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            throw HttpError(errno_text("send"));
        }
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, remaining_ms(deadline)) == 0) {
            throw HttpError("send: timeout with " + std::to_string(data.size()) +
                            " bytes left to send");
        }
    }
}

HttpConnection::SendResult HttpConnection::send_watching(std::string_view data) {
    SendResult result;
    const auto deadline = Clock::now() + timeout_;
    while (result.sent < data.size()) {
        pollfd p{fd_, static_cast<short>(POLLOUT | POLLIN), 0};
        const int ready = ::poll(&p, 1, remaining_ms(deadline));
        if (ready == 0) {
            throw HttpError("send: timeout after " + std::to_string(result.sent) + " of " +
                            std::to_string(data.size()) + " bytes");
        }
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            if (!fill(deadline)) {
                result.send_failed = true;  // the server closed or reset the connection
                break;
            }
            if (auto response = try_parse(false)) {
                pending_.push_back(std::move(*response));
                result.answered_early = true;
                break;
            }
        }
        if ((p.revents & POLLOUT) != 0) {
            const std::size_t chunk =
                std::min<std::size_t>(data.size() - result.sent, std::size_t{64} * 1024);
            const ssize_t n = ::send(fd_, data.data() + result.sent, chunk, MSG_NOSIGNAL);
            if (n > 0) {
                result.sent += static_cast<std::size_t>(n);
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                result.send_failed = true;  // EPIPE / ECONNRESET: what it answered may be buffered
                break;
            }
        }
    }
    return result;
}

bool HttpConnection::fill(Clock::time_point deadline) {
    if (eof_) {
        return false;
    }
    for (;;) {
        char chunk[16384];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n > 0) {
            buffer_.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
        if (n == 0) {
            eof_ = true;
            return false;
        }
        if (errno == ECONNRESET) {
            eof_ = true;
            reset_ = true;
            return false;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            throw HttpError(errno_text("recv"));
        }
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, remaining_ms(deadline)) == 0) {
            throw HttpError("recv: timeout; received so far: " + buffer_.substr(0, 300));
        }
    }
}

std::optional<HttpResponse> HttpConnection::try_parse(bool eof) {
    const auto head_end = buffer_.find("\r\n\r\n");
    if (head_end == std::string::npos) {
        return std::nullopt;
    }
    HttpResponse response;
    std::string_view head(buffer_.data(), head_end);
    const auto line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, line_end);
    // "HTTP/1.1 200 OK"
    if (status_line.substr(0, 5) != "HTTP/" || status_line.size() < 12) {
        throw HttpError("bad status line: " + std::string(status_line));
    }
    response.status = std::stoi(std::string(status_line.substr(9, 3)));
    response.reason = status_line.size() > 13 ? std::string(status_line.substr(13)) : "";
    std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
    while (!rest.empty()) {
        const auto end = rest.find("\r\n");
        const std::string_view line = rest.substr(0, end);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            throw HttpError("bad header line: " + std::string(line));
        }
        response.headers.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
        rest = end == std::string_view::npos ? "" : rest.substr(end + 2);
    }

    std::size_t position = head_end + 4;
    const bool no_body = (response.status >= 100 && response.status < 200) ||
                         response.status == 204 || response.status == 304;
    const auto transfer_encoding = response.header("Transfer-Encoding");
    const auto content_length = response.header("Content-Length");
    if (no_body) {
        // nothing
    } else if (transfer_encoding && transfer_encoding->find("chunked") != std::string::npos) {
        for (;;) {
            const auto size_end = buffer_.find("\r\n", position);
            if (size_end == std::string::npos) {
                return std::nullopt;
            }
            const std::size_t size =
                std::stoul(buffer_.substr(position, size_end - position), nullptr, 16);
            position = size_end + 2;
            if (size == 0) {
                // Trailers, then a blank line.
                const auto trailer_end = buffer_.find("\r\n", position);
                if (trailer_end == std::string::npos) {
                    return std::nullopt;
                }
                if (trailer_end == position) {
                    position += 2;
                    break;
                }
                const auto all_end = buffer_.find("\r\n\r\n", position);
                if (all_end == std::string::npos) {
                    return std::nullopt;
                }
                position = all_end + 4;
                break;
            }
            if (buffer_.size() < position + size + 2) {
                return std::nullopt;
            }
            response.body.append(buffer_, position, size);
            position += size + 2;
        }
    } else if (content_length) {
        const std::size_t length = std::stoul(*content_length);
        if (buffer_.size() < position + length) {
            return std::nullopt;
        }
        response.body = buffer_.substr(position, length);
        position += length;
    } else {
        // Delimited by the end of the connection.
        if (!eof) {
            return std::nullopt;
        }
        response.body = buffer_.substr(position);
        position = buffer_.size();
    }
    buffer_.erase(0, position);
    return response;
}

HttpResponse HttpConnection::read_response(bool keep_interim) {
    const auto deadline = Clock::now() + timeout_;
    for (;;) {
        std::optional<HttpResponse> response;
        if (!pending_.empty()) {
            response = std::move(pending_.front());
            pending_.pop_front();
        } else {
            response = try_parse(eof_);
        }
        if (response) {
            if (!keep_interim && response->status >= 100 && response->status < 200) {
                continue;
            }
            return *response;
        }
        if (!fill(deadline)) {
            if (auto response = try_parse(true)) {
                return *response;
            }
            throw HttpError(std::string("connection ") + (reset_ ? "reset" : "closed") +
                            " before a complete response; received: " + buffer_.substr(0, 300));
        }
    }
}

bool HttpConnection::nothing_received_within(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    return buffer_.empty() && pending_.empty() &&
           ::poll(&p, 1, static_cast<int>(wait.count())) == 0;
}

bool HttpConnection::wait_for_close() {
    try {
        read_until_close();
        return true;
    } catch (const HttpError&) {
        return false;
    }
}

std::string HttpConnection::read_until_close() {
    const auto deadline = Clock::now() + timeout_;
    while (fill(deadline)) {
    }
    return std::exchange(buffer_, {});
}

void HttpConnection::shutdown_send() { ::shutdown(fd_, SHUT_WR); }

HttpResponse http_request(std::uint16_t port, const HttpRequest& request,
                          std::chrono::milliseconds timeout) {
    HttpConnection connection(port, timeout);
    connection.send_all(serialize_head(request) + request.body);
    return connection.read_response();
}

HttpResponse http_get(std::uint16_t port, const std::string& target, const Headers& headers) {
    HttpRequest request;
    request.method = "GET";
    request.target = target;
    request.headers = headers;
    return http_request(port, request);
}

HttpResponse http_post(std::uint16_t port, const std::string& target,
                       const std::string& content_type, const std::string& body,
                       const Headers& headers) {
    HttpRequest request;
    request.method = "POST";
    request.target = target;
    request.headers = headers;
    request.headers.emplace_back("Content-Type", content_type);
    request.headers.emplace_back("Content-Length", std::to_string(body.size()));
    request.body = body;
    return http_request(port, request);
}

}  // namespace memolib::test
