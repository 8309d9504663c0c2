// fuzz_invariant.h — how a fuzz target states what must hold for every input.
//
// A broken invariant aborts: libFuzzer records the input that did it as a
// crash, and the message says which invariant it was.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace curvature::fuzz {

inline void require(bool condition, const char* invariant) {
  if (!condition) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", invariant);
    std::abort();
  }
}

}  // namespace curvature::fuzz
