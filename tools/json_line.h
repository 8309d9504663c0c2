// json_line.h — the one JSON writer of the curv commands: a flat object on
// one line (JSON Lines), with strings escaped and numbers written so that
// they read back exactly (17 significant digits); NaN and infinities, which
// JSON cannot spell, become null.
//
//   out << JsonLine().text("problem", "ENSO").number("final_cost", cost).boolean("solved", true).str();
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace curvature::tools {

class JsonLine {
 public:
  JsonLine& text(const char* key, const std::string& value) {
    append_key(key);
    body_ += '"';
    for (const char c : value) {
      switch (c) {
        case '"':
          body_ += "\\\"";
          break;
        case '\\':
          body_ += "\\\\";
          break;
        case '\n':
          body_ += "\\n";
          break;
        case '\t':
          body_ += "\\t";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            body_ += escaped;
          } else {
            body_ += c;
          }
      }
    }
    body_ += '"';
    return *this;
  }
  JsonLine& number(const char* key, double value) {
    append_key(key);
    body_ += json_number(value);
    return *this;
  }
  JsonLine& integer(const char* key, long long value) {
    append_key(key);
    body_ += std::to_string(value);
    return *this;
  }
  JsonLine& unsigned_integer(const char* key, unsigned long long value) {
    append_key(key);
    body_ += std::to_string(value);
    return *this;
  }
  JsonLine& boolean(const char* key, bool value) {
    append_key(key);
    body_ += value ? "true" : "false";
    return *this;
  }
  // The object and a newline.
  std::string str() const { return "{" + body_ + "}\n"; }

  static std::string json_number(double value) {
    if (!std::isfinite(value)) return "null";
    char number[32];
    std::snprintf(number, sizeof number, "%.17g", value);
    return number;
  }

 private:
  void append_key(const char* key) {
    if (!body_.empty()) body_ += ',';
    body_ += '"';
    body_ += key;
    body_ += "\":";
  }

  std::string body_;
};

}  // namespace curvature::tools
