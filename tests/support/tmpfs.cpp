#include "support/tmpfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace memolib::test {

TmpfsMount::TmpfsMount(std::filesystem::path where, const std::string& size)
    : path_(std::move(where)) {
    std::filesystem::create_directories(path_);
    const std::string options = "size=" + size;
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) == 0) {
        mounted_ = true;
    } else {
        error_ = std::strerror(errno);
    }
}

TmpfsMount::~TmpfsMount() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
}

std::size_t fill_until_full(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(errno));
    }
    const std::string chunk(std::size_t{64} * 1024, 'x');
    std::size_t total = 0;
    // Bounded: the file systems the tests fill are far smaller than this many chunks.
    for (int i = 0; i < 100000; ++i) {
        const ssize_t n = ::write(fd, chunk.data(), chunk.size());
        if (n <= 0) break;
        total += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return total;
}

}  // namespace memolib::test
