// Assertions are the specification: they stay on in release builds and stop the process.
// A broken invariant is a programmer's bug, never a business outcome (that is a rejection).
#pragma once

#include <cstdio>
#include <cstdlib>

#define KEZEK_ASSERT(condition)                                                       \
  do {                                                                                \
    if (!(condition)) [[unlikely]] {                                                  \
      std::fprintf(stderr, "kezek: assertion failed: %s at %s:%d\n", #condition,      \
                   __FILE__, __LINE__);                                               \
      std::abort();                                                                   \
    }                                                                                 \
  } while (false)
