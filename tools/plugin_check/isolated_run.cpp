#include "isolated_run.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace memolib::tools {

namespace {

constexpr int kPassed = 0;
constexpr int kFailed = 10;
constexpr std::size_t kWhatBytes = 1024;
constexpr std::size_t kBodyBytes = std::size_t{4} * 1024 * 1024;

struct SharedBuffer {
    char what[kWhatBytes];
    std::size_t body_size;
    char body[kBodyBytes];
};

// Mapped once, before any fork, and never unmapped: the parent reads what the child wrote.
SharedBuffer& shared() {
    static SharedBuffer* buffer = [] {
        void* p = mmap(nullptr, sizeof(SharedBuffer), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
        auto* b = static_cast<SharedBuffer*>(p);
        b->what[0] = '\0';
        b->body_size = 0;
        return b;
    }();
    return *buffer;
}

}  // namespace

void CrashContext::set(const std::string& what, const std::string& body) {
    SharedBuffer& b = shared();
    const std::size_t n = std::min(what.size(), kWhatBytes - 1);
    std::memcpy(b.what, what.data(), n);
    b.what[n] = '\0';
    b.body_size = std::min(body.size(), kBodyBytes);
    std::memcpy(b.body, body.data(), b.body_size);
}

std::string CrashContext::what() { return shared().what; }

std::string CrashContext::body() { return std::string(shared().body, shared().body_size); }

IsolatedResult run_isolated(const std::function<bool()>& check, std::chrono::seconds timeout) {
    shared().what[0] = '\0';
    shared().body_size = 0;
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        alarm(static_cast<unsigned>(timeout.count()));
        bool passed = false;
        try {
            passed = check();
        } catch (const std::exception& e) {
            std::printf("  error: %s\n", e.what());
        }
        std::fflush(stdout);
        std::fflush(stderr);
        // _exit: the child shares the parent's plugin instances, which only the parent destroys.
        _exit(passed ? kPassed : kFailed);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    IsolatedResult out;
    if (WIFEXITED(status) && WEXITSTATUS(status) == kPassed) {
        out.passed = true;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == kFailed) {
        out.passed = false;
    } else {
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
            out.crash = "timed out after " + std::to_string(timeout.count()) + " s";
        } else if (WIFSIGNALED(status)) {
            out.crash = std::string("crashed with signal ") + std::to_string(WTERMSIG(status)) +
                        " (" + strsignal(WTERMSIG(status)) + ")";
        } else {
            // A sanitizer reports an error and exits with its own status (1 by default).
            out.crash = "aborted with exit status " + std::to_string(WEXITSTATUS(status)) +
                        " (a sanitizer report or std::abort is above)";
        }
        const std::string what = CrashContext::what();
        if (!what.empty()) out.crash += " while running " + what;
    }
    return out;
}

}  // namespace memolib::tools
