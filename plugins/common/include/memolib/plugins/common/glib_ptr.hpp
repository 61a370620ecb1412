#pragma once

#include <memory>

#include <glib-object.h>

/// Owning pointers for what GLib and GMime hand out.
namespace memolib::plugins::common {

struct GObjectUnref {
    void operator()(gpointer object) const noexcept {
        if (object != nullptr) g_object_unref(object);
    }
};
/// A GObject (a GMime part, stream, parser…), unreferenced when dropped.
template <class T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

struct GFree {
    void operator()(gpointer p) const noexcept { g_free(p); }
};
/// A string GLib allocated, freed with g_free.
using GCharPtr = std::unique_ptr<char, GFree>;

}  // namespace memolib::plugins::common
