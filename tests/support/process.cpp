#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <rapidjson/document.h>

#include "support/temp_dir.hpp"

extern char** environ;

namespace memolib::test {
namespace {

using Clock = std::chrono::steady_clock;

ExitStatus decode(int status) {
    ExitStatus out;
    if (WIFEXITED(status)) {
        out.exited = true;
        out.code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        out.signal = WTERMSIG(status);
    }
    return out;
}

/// argv and envp as the C arrays execve wants, built before fork (the child may only call
/// async-signal-safe functions).
struct ExecArgs {
    std::vector<std::string> storage;
    std::vector<char*> argv;
    std::vector<std::string> env_storage;
    std::vector<char*> envp;

    ExecArgs(std::vector<std::string> args,
             const std::vector<std::pair<std::string, std::string>>& extra_env)
        : storage(std::move(args)) {
        for (auto& a : storage) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string entry = *e;
            const std::string name = entry.substr(0, entry.find('='));
            bool overridden = false;
            for (const auto& [key, value] : extra_env) {
                overridden = overridden || key == name;
            }
            if (!overridden) {
                env_storage.push_back(entry);
            }
        }
        for (const auto& [key, value] : extra_env) {
            env_storage.push_back(key);
            env_storage.back().append("=").append(value);
        }
        for (auto& e : env_storage) {
            envp.push_back(e.data());
        }
        envp.push_back(nullptr);
    }
};

/// In the child after fork: die with the test process, then exec. Never returns.
[[noreturn]] void exec_child(const ExecArgs& args, const std::filesystem::path& work_dir,
                             pid_t parent, std::optional<unsigned long> fd_limit = std::nullopt) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
        ::_exit(127);
    }
    // A test runner may have left SIGPIPE ignored or signals blocked: give the gateway
    // a clean slate.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (!work_dir.empty() && ::chdir(work_dir.c_str()) != 0) {
        ::_exit(126);
    }
    if (fd_limit) {
        const rlimit limit{static_cast<rlim_t>(*fd_limit), static_cast<rlim_t>(*fd_limit)};
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
            ::_exit(125);
        }
    }
    ::execve(args.argv[0], args.argv.data(), const_cast<char* const*>(args.envp.data()));
    const char message[] = "exec failed\n";
    [[maybe_unused]] auto ignored = ::write(2, message, sizeof message - 1);
    ::_exit(127);
}

std::filesystem::path binary_dir() { return MEMOLIB_BINARY_DIR; }

}  // namespace

std::filesystem::path gateway_binary() {
    if (const char* custom = std::getenv("MEMOLIB_GATEWAY_BINARY"); custom && *custom) {
        return custom;
    }
    return binary_dir() / "bin" / "memolib-gateway";
}

std::filesystem::path plugins_build_directory() { return binary_dir() / "plugins"; }
std::filesystem::path loader_fixtures_directory() { return binary_dir() / "tests" / "loader"; }
std::filesystem::path source_directory() { return MEMOLIB_SOURCE_DIR; }

std::string ExitStatus::describe() const {
    std::string out;
    if (exited) {
        out = "exited with code " + std::to_string(code);
    } else if (signal != 0) {
        out = std::string("killed by signal ") + std::to_string(signal) + " (" +
              ::strsignal(signal) + ")";
    } else {
        out = "still running";
    }
    if (timed_out) {
        out += " after a timeout";
    }
    return out;
}

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::filesystem::path& work_dir, std::chrono::milliseconds timeout,
                          const std::vector<std::pair<std::string, std::string>>& env) {
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    const ExecArgs args(argv, env);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        const int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        exec_child(args, work_dir, parent);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);

    ProcessResult result;
    const auto deadline = Clock::now() + timeout;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_count = 2;
    while (open_count > 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            ::kill(pid, SIGKILL);
            result.status.timed_out = true;
            break;
        }
        if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) {
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                char buffer[4096];
                const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
                if (n > 0) {
                    sinks[i]->append(buffer, static_cast<std::size_t>(n));
                } else {
                    ::close(fds[i].fd);
                    fds[i].fd = -1;
                    --open_count;
                }
            }
        }
    }
    for (auto& fd : fds) {
        if (fd.fd >= 0) {
            ::close(fd.fd);
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    const bool timed_out = result.status.timed_out;
    result.status = decode(status);
    result.status.timed_out = timed_out;
    return result;
}

std::string LogEvent::get(const std::string& key) const {
    const auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
}

std::vector<LogEvent> parse_log(const std::string& text) {
    std::vector<LogEvent> events;
    std::size_t start = 0;
    for (;;) {
        const auto end = text.find('\n', start);
        if (end == std::string::npos) {
            break;  // an incomplete last line is still being written
        }
        LogEvent event;
        event.raw = text.substr(start, end - start);
        start = end + 1;
        if (event.raw.empty()) {
            continue;
        }
        rapidjson::Document document;
        document.Parse(event.raw.c_str());
        if (!document.HasParseError() && document.IsObject()) {
            event.json = true;
            for (const auto& member : document.GetObject()) {
                const std::string name = member.name.GetString();
                const auto& value = member.value;
                if (value.IsString()) {
                    event.fields[name] = value.GetString();
                } else if (value.IsInt64()) {
                    event.fields[name] = std::to_string(value.GetInt64());
                } else if (value.IsUint64()) {
                    event.fields[name] = std::to_string(value.GetUint64());
                } else if (value.IsDouble()) {
                    event.fields[name] = std::to_string(value.GetDouble());
                } else if (value.IsBool()) {
                    event.fields[name] = value.GetBool() ? "true" : "false";
                }
            }
        }
        events.push_back(std::move(event));
    }
    return events;
}

GatewayProcess::GatewayProcess(Options options) : options_(std::move(options)) {
    std::vector<std::string> argv{options_.binary.string()};
    argv.insert(argv.end(), options_.args.begin(), options_.args.end());
    const ExecArgs args(argv, options_.env);
    const int log_fd =
        ::open(options_.log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        throw std::runtime_error("cannot open " + options_.log_file.string() + ": " +
                                 std::strerror(errno));
    }
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) {
        ::close(log_fd);
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid_ == 0) {
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
        const int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        exec_child(args, options_.work_dir, parent, options_.fd_limit);
    }
    ::close(log_fd);
}

GatewayProcess::~GatewayProcess() {
    if (pid_ > 0 && !exit_) {
        stop(std::chrono::seconds(5));
    }
}

bool GatewayProcess::reap(bool block) {
    if (exit_) {
        return true;
    }
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (r == pid_) {
        exit_ = decode(status);
        return true;
    }
    return false;
}

bool GatewayProcess::running() { return !reap(false); }

std::string GatewayProcess::log() const {
    // Under load the gateway writes its log lines from a thread of its own, about a
    // millisecond after them: wait until the file has stopped growing, so that what was
    // logged before the answers the test has read is in it.
    std::error_code ec;
    auto size = std::filesystem::file_size(options_.log_file, ec);
    for (int i = 0; i < 100; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
        const auto now = std::filesystem::file_size(options_.log_file, ec);
        if (now == size) break;
        size = now;
    }
    return read_file(options_.log_file);
}

std::uint16_t GatewayProcess::wait_until_listening() {
    const auto deadline = Clock::now() + options_.start_timeout;
    for (;;) {
        for (const auto& event : events()) {
            if (event.get("event") == "listening") {
                const std::string port = event.get("port");
                if (port.empty()) {
                    throw std::runtime_error("the `listening` line has no port: " + event.raw);
                }
                port_ = static_cast<std::uint16_t>(std::stoul(port));
                return port_;
            }
        }
        if (reap(false)) {
            throw std::runtime_error("the gateway " + exit_->describe() +
                                     " before listening; its log:\n" + log());
        }
        if (Clock::now() > deadline) {
            throw std::runtime_error("the gateway logged no `listening` line within " +
                                     std::to_string(options_.start_timeout.count()) +
                                     " ms; its log:\n" + log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

ExitStatus GatewayProcess::wait_for_exit(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!reap(false)) {
        if (Clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            reap(true);
            exit_->timed_out = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return *exit_;
}

ExitStatus GatewayProcess::stop(std::chrono::milliseconds grace) {
    if (reap(false)) {
        return *exit_;
    }
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + grace;
    while (!reap(false)) {
        if (Clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            reap(true);
            exit_->timed_out = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return *exit_;
}

}  // namespace memolib::test
