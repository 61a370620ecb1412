/// @file version.h
/// The one version of the MemoLib plugin ABI.
#pragma once

/// Compatibility promise of the plugin ABI (see docs/sdk.md):
/// - A plugin built against SDK MAJOR.x loads in every host MAJOR.y, whatever compiler or
///   standard library built either side: only the C declarations of abi.h cross the boundary.
/// - Within one MAJOR, a MINOR release may only append fields at the end of a size-prefixed
///   struct, append callbacks at the end of memolib_host_t, and add enum values a plugin may
///   ignore. Every reader checks `struct_size` before touching an appended field.
/// - Removing, reordering or retyping anything, or changing a documented lifetime, bumps MAJOR.
/// The host refuses a plugin whose MAJOR differs or whose MINOR is newer than its own.
#define MEMOLIB_SDK_ABI_MAJOR 1
#define MEMOLIB_SDK_ABI_MINOR 1

/// The symbol every plugin exports; the `_v1` suffix follows MEMOLIB_SDK_ABI_MAJOR.
#define MEMOLIB_PLUGIN_ENTRY_SYMBOL "memolib_plugin_v1"
