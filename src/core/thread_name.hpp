#pragma once
// Names the calling thread for `top -H`, `perf` and gdb. Linux keeps at most 15
// characters; a longer name is left unset.

#include <pthread.h>

namespace praxis::core {

inline void name_this_thread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace praxis::core
