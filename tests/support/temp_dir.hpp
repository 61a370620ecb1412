// A fresh directory for one test, removed with everything in it when the object goes away
// (kept when MEMOLIB_KEEP_TEST_DIRS is set, to look at a failed test's files).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace memolib::test {

class TempDir {
public:
    /// Creates ${TMPDIR:-/tmp}/<prefix>.XXXXXX. Throws std::runtime_error on failure.
    explicit TempDir(std::string_view prefix = "memolib-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::filesystem::path& name) const {
        return path_ / name;
    }

private:
    std::filesystem::path path_;
};

/// Writes `content` to `file` (created or truncated). Throws std::runtime_error on failure.
void write_file(const std::filesystem::path& file, std::string_view content);

/// The whole content of `file`; empty when it does not exist.
std::string read_file(const std::filesystem::path& file);

/// A random lower-case hex string of `length` characters, to make test data unique.
std::string random_hex(std::size_t length);

}  // namespace memolib::test
