// json_string.h — a string as a JSON string literal, for the two JSON writers
// (the saved networks of mlp_model_io.h and the curv commands' rows,
// tools/json_line.h): quotes, backslashes and control characters escaped;
// other bytes (UTF-8 included) as they are.
#pragma once

#include <cstdio>
#include <string>

namespace curvature::internal {

inline std::string json_quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
          out += escape;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace curvature::internal
