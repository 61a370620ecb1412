#pragma once

#include <optional>
#include <string>

namespace memolib::core {

/// Checks a would-be plugin file against its own ELF headers without mapping it: the ELF class,
/// byte order and machine of this host, a shared object, the program and section header tables
/// and every loadable segment inside the file, and a dynamic section that holds a symbol table.
/// The dynamic loader maps the segments the headers name, so a file cut short (a copy still in
/// progress) would kill the process with SIGBUS on the first page past its end.
/// Returns the reason it cannot be loaded, starting with one word (`truncated`, `not_elf`,
/// `wrong_platform`, `not_shared_library`, `corrupt`, `unreadable`), or nothing when it may be
/// handed to dlopen.
std::optional<std::string> check_elf_file(const std::string& path);

}  // namespace memolib::core
