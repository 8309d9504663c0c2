// registry_names.h — the library's registries (curvature/registry.h) as the
// curv program shows them: each row by its command-line name, the short
// name where the row has one ("lm" for levenberg-marquardt). The program's
// method lists, help texts and messages are built from these, so a new
// registry row reaches the command line without an edit here.
#pragma once

#include <span>
#include <string>
#include <utility>

#include "curvature/error.h"
#include "curvature/registry.h"

namespace curvature::tools {

// The row's name on the command line.
template <typename Row>
const char* cli_name(const Row& row) {
  if constexpr (internal::HasShortName<Row>) {
    return row.short_name;
  } else {
    return row.name;
  }
}

// "lm, dogleg, gn": the command-line names of `rows`, in registry order.
template <typename Row>
std::string cli_names(std::span<const Row> rows) {
  std::string names;
  for (const Row& row : rows) names += (names.empty() ? "" : ", ") + std::string(cli_name(row));
  return names;
}

// parse(), with a curvature::Error's message prefixed by the option it
// came from: "--method: unknown least-squares method 'x' (known: ...)".
template <typename Parse>
auto parse_option(const std::string& option, Parse&& parse) {
  try {
    return std::forward<Parse>(parse)();
  } catch (const Error& error) {
    throw Error(option + ": " + error.what());
  }
}

}  // namespace curvature::tools
