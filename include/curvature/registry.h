// curvature/registry.h — what every role's registry has in common.
//
// Each algorithmic role (least-squares method, linear solver, minimizer
// method, line search, update rule, learning-rate schedule) keeps one table
// next to its enum: one row per enumerator, in enumerator order, holding the
// name the library prints and accepts and the role's traits. to_string(),
// parse_*() and the traits queries are built on that table, and so are the
// lists the curv program prints. The enums end in a kCount sentinel (not a
// method, only the number of them), so a table that misses an enumerator or
// lists them out of order fails to compile:
//
//   inline constexpr std::array<MethodInfo, ...> kMethods = {{...}};
//   static_assert(registry_is_complete<Method>(kMethods));
//
// A name that is not in a table is a curvature::Error that lists the names
// that are ("unknown minimizer method 'lbgfs' (known: steepest-descent, ...)").
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "curvature/error.h"

namespace curvature {

// Rows, in enumerator order, for each enumerator from 0 to Enum::kCount - 1.
template <typename Enum, typename Row, std::size_t N>
consteval bool registry_is_complete(const Row (&rows)[N]) {
  if (N != static_cast<std::size_t>(Enum::kCount)) return false;
  for (std::size_t i = 0; i < N; ++i) {
    if (static_cast<std::size_t>(rows[i].value) != i) return false;
  }
  return true;
}

namespace internal {

// Rows that also carry the curv program's shorter name ("lm" for
// "levenberg-marquardt").
template <typename Row>
concept HasShortName = requires(const Row& row) {
  row.short_name;
};

template <typename Row>
bool registry_matches(const Row& row, std::string_view name) {
  if constexpr (HasShortName<Row>) {
    if (name == row.short_name) return true;
  }
  return name == row.name;
}

// "a, b (b1), c": the names of `rows`, short names in parentheses where
// they differ, for messages.
template <typename Row>
std::string registry_names(std::span<const Row> rows) {
  std::string names;
  for (const Row& row : rows) {
    if (!names.empty()) names += ", ";
    names += row.name;
    if constexpr (HasShortName<Row>) {
      if (std::string_view(row.short_name) != row.name) names += std::string(" (") + row.short_name + ")";
    }
  }
  return names;
}

}  // namespace internal

// The row of `value`; throws curvature::Error naming `role` when the value
// is not an enumerator with a row (a cast from an out-of-range integer).
template <typename Row, typename Enum>
const Row& registry_row(std::span<const Row> rows, Enum value, const char* role) {
  const auto index = static_cast<std::size_t>(value);
  if (index >= rows.size()) {
    throw Error(std::string("unknown ") + role + " " + std::to_string(static_cast<long long>(value)));
  }
  return rows[index];
}

// The row named `name` (or, where rows have one, short-named); throws
// curvature::Error listing every known name.
template <typename Row>
const Row& registry_find(std::span<const Row> rows, std::string_view name, const char* role) {
  for (const Row& row : rows) {
    if (internal::registry_matches(row, name)) return row;
  }
  throw Error(std::string("unknown ") + role + " '" + std::string(name) +
              "' (known: " + internal::registry_names(rows) + ")");
}

}  // namespace curvature
