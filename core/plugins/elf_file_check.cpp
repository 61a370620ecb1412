#include "plugins/elf_file_check.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

namespace memolib::core {

namespace {

using Ehdr = ElfW(Ehdr);
using Phdr = ElfW(Phdr);
using Shdr = ElfW(Shdr);
using Dyn = ElfW(Dyn);

// A dynamic section longer than this is not one a compiler wrote.
constexpr std::uint64_t kMaxDynamicEntries = 4096;

class File {
public:
    // O_NONBLOCK: a FIFO named like a plugin must not hang the loader in open().
    explicit File(const std::string& path)
        : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)) {}
    ~File() {
        if (fd_ >= 0) ::close(fd_);
    }
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    int fd() const { return fd_; }

    /// Reads exactly `length` bytes at `offset`; false on a short read or an error.
    bool read(std::uint64_t offset, void* out, std::size_t length) const {
        auto* at = static_cast<char*>(out);
        while (length > 0) {
            const ssize_t n = ::pread(fd_, at, length, static_cast<off_t>(offset));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            at += n;
            offset += static_cast<std::uint64_t>(n);
            length -= static_cast<std::size_t>(n);
        }
        return true;
    }

private:
    int fd_;
};

bool within(std::uint64_t offset, std::uint64_t length, std::uint64_t size) {
    return offset <= size && length <= size - offset;
}

std::string truncated(const std::string& what, std::uint64_t offset, std::uint64_t length,
                      std::uint64_t size) {
    return "truncated: " + what + " ends at byte " + std::to_string(offset + length) + " of a " +
           std::to_string(size) + "-byte file (is a copy still in progress?)";
}

// The ELF header of the object this code runs in: its class, byte order and machine are the
// ones a plugin must share. The dynamic loader maps it at the object's base address.
const Ehdr* host_header() {
    static const Ehdr* const kHeader = [] {
        Dl_info info{};
        const bool found = ::dladdr(reinterpret_cast<const void*>(&check_elf_file), &info) != 0;
        return found ? static_cast<const Ehdr*>(info.dli_fbase) : nullptr;
    }();
    return kHeader;
}

std::optional<std::string> check_dynamic_section(const File& file, const Phdr& dynamic) {
    const std::uint64_t count = dynamic.p_filesz / sizeof(Dyn);
    if (count == 0 || count > kMaxDynamicEntries) {
        return "corrupt: a dynamic section of " + std::to_string(dynamic.p_filesz) + " bytes";
    }
    std::vector<Dyn> entries(count);
    if (!file.read(dynamic.p_offset, entries.data(), count * sizeof(Dyn)))
        return std::string("unreadable: the dynamic section cannot be read");
    bool symtab = false;
    bool strtab = false;
    for (const Dyn& entry : entries) {
        if (entry.d_tag == DT_NULL) {
            if (symtab && strtab) return std::nullopt;
            break;
        }
        symtab = symtab || entry.d_tag == DT_SYMTAB;
        strtab = strtab || entry.d_tag == DT_STRTAB;
    }
    return std::string(
        "corrupt: the dynamic section has no symbol table (is the file still being written?)");
}

}  // namespace

std::optional<std::string> check_elf_file(const std::string& path) {
    const File file(path);
    struct stat st {};
    if (file.fd() < 0 || ::fstat(file.fd(), &st) != 0)
        return "unreadable: " + std::string(std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return std::string("not_elf: not a regular file");
    const auto size = static_cast<std::uint64_t>(st.st_size);

    unsigned char ident[EI_NIDENT] = {};
    const std::size_t have = size < EI_NIDENT ? static_cast<std::size_t>(size) : EI_NIDENT;
    if (!file.read(0, ident, have)) return std::string("unreadable: the ELF header cannot be read");
    if (std::memcmp(ident, ELFMAG, have < SELFMAG ? have : SELFMAG) != 0)
        return std::string("not_elf: the file does not start with the ELF magic number");
    if (size < sizeof(Ehdr)) return truncated("the ELF header", 0, sizeof(Ehdr), size);

    // Without the host's own header (never seen on Linux), dlopen judges the platform.
    static const Ehdr kUnknownHost = [] {
        Ehdr h{};
        h.e_ident[EI_CLASS] = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;
        h.e_ident[EI_DATA] = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
        return h;
    }();
    const Ehdr& host = host_header() != nullptr ? *host_header() : kUnknownHost;
    if (ident[EI_CLASS] != host.e_ident[EI_CLASS]) {
        return "wrong_platform: ELF class " + std::to_string(ident[EI_CLASS]) +
               " instead of this host's " + std::to_string(host.e_ident[EI_CLASS]);
    }
    if (ident[EI_DATA] != host.e_ident[EI_DATA]) {
        return "wrong_platform: ELF byte order " + std::to_string(ident[EI_DATA]) +
               " instead of this host's " + std::to_string(host.e_ident[EI_DATA]);
    }
    Ehdr header{};
    if (!file.read(0, &header, sizeof header))
        return std::string("unreadable: the ELF header cannot be read");
    if (host.e_machine != EM_NONE && header.e_machine != host.e_machine) {
        return "wrong_platform: built for ELF machine " + std::to_string(header.e_machine) +
               ", this host is " + std::to_string(host.e_machine);
    }
    if (header.e_type != ET_DYN) {
        return "not_shared_library: ELF type " + std::to_string(header.e_type) +
               " is not a shared object";
    }

    if (header.e_phnum == 0 || header.e_phentsize != sizeof(Phdr))
        return std::string("corrupt: no program header table of this ELF class");
    const std::uint64_t ph_bytes = std::uint64_t{header.e_phnum} * sizeof(Phdr);
    if (!within(header.e_phoff, ph_bytes, size))
        return truncated("the program header table", header.e_phoff, ph_bytes, size);

    if (header.e_shoff != 0) {
        if (header.e_shentsize != sizeof(Shdr))
            return std::string("corrupt: section headers of the wrong size");
        std::uint64_t sections = header.e_shnum;
        if (sections == 0) {
            // Extended numbering: the first section header holds the count.
            Shdr first{};
            if (!within(header.e_shoff, sizeof(Shdr), size))
                return truncated("the section header table", header.e_shoff, sizeof(Shdr), size);
            if (!file.read(header.e_shoff, &first, sizeof first))
                return std::string("unreadable: the section header table cannot be read");
            sections = first.sh_size;
        }
        if (sections > size / sizeof(Shdr) ||
            !within(header.e_shoff, sections * sizeof(Shdr), size))
            return truncated("the section header table", header.e_shoff, sections * sizeof(Shdr),
                             size);
    }

    std::vector<Phdr> segments(header.e_phnum);
    if (!file.read(header.e_phoff, segments.data(), ph_bytes))
        return std::string("unreadable: the program header table cannot be read");
    const Phdr* dynamic = nullptr;
    for (const Phdr& segment : segments) {
        if (segment.p_type != PT_LOAD && segment.p_type != PT_DYNAMIC) continue;
        const char* what = segment.p_type == PT_LOAD ? "a loadable segment" : "the dynamic section";
        if (!within(segment.p_offset, segment.p_filesz, size))
            return truncated(what, segment.p_offset, segment.p_filesz, size);
        if (segment.p_type == PT_LOAD && segment.p_filesz > segment.p_memsz)
            return std::string("corrupt: a loadable segment larger in the file than in memory");
        if (segment.p_type == PT_DYNAMIC) dynamic = &segment;
    }
    if (dynamic == nullptr) return std::string("not_shared_library: no dynamic section");
    return check_dynamic_section(file, *dynamic);
}

}  // namespace memolib::core
