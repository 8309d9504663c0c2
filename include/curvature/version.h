// curvature/version.h — the library's version.
//
// CMakeLists.txt reads the three numbers below as the project's version, so
// the package version (find_package(curvature 0.2)), `curv --version` and
// these macros cannot disagree.
#pragma once

// The version, major.minor.patch.
#define CURVATURE_VERSION_MAJOR 0
#define CURVATURE_VERSION_MINOR 2
#define CURVATURE_VERSION_PATCH 0

// Comparable as a single number: 10000 * major + 100 * minor + patch.
#define CURVATURE_VERSION (CURVATURE_VERSION_MAJOR * 10000 + CURVATURE_VERSION_MINOR * 100 + CURVATURE_VERSION_PATCH)

#define CURVATURE_VERSION_STRINGIFY_(x) #x
#define CURVATURE_VERSION_STRINGIFY(x) CURVATURE_VERSION_STRINGIFY_(x)

namespace curvature {

// The version as "major.minor.patch", for programs that print it.
inline constexpr const char* kVersionString =
    CURVATURE_VERSION_STRINGIFY(CURVATURE_VERSION_MAJOR) "." CURVATURE_VERSION_STRINGIFY(
        CURVATURE_VERSION_MINOR) "." CURVATURE_VERSION_STRINGIFY(CURVATURE_VERSION_PATCH);

}  // namespace curvature
