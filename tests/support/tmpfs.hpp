// A small file system of a test's own, to fill: a tmpfs mounted for one test (root only), and
// a writer that fills it to the last byte.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace memolib::test {

/// A tmpfs of `size` (e.g. "16m") mounted at `where` (created); lazily unmounted when the
/// object goes away, since the gateway may still hold files open there until it stops.
class TmpfsMount {
public:
    TmpfsMount(std::filesystem::path where, const std::string& size);
    ~TmpfsMount();
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;

    /// False where mounting is not permitted (not root): see error().
    bool mounted() const { return mounted_; }
    const std::string& error() const { return error_; }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    bool mounted_ = false;
    std::string error_;
};

/// Writes `file` until its file system is full; returns the bytes written. Throws
/// std::runtime_error when the file cannot be created.
std::size_t fill_until_full(const std::filesystem::path& file);

}  // namespace memolib::test
