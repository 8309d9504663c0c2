#include "string_format.h"

#include <cstdarg>
#include <cstdio>

namespace curvature::internal {

std::string string_printf(const char* pattern, ...) {
  va_list arguments;
  va_start(arguments, pattern);
  va_list measure;
  va_copy(measure, arguments);
  const int length = std::vsnprintf(nullptr, 0, pattern, measure);
  va_end(measure);
  std::string text(length > 0 ? static_cast<size_t>(length) : 0, '\0');
  if (length > 0) std::vsnprintf(text.data(), text.size() + 1, pattern, arguments);
  va_end(arguments);
  return text;
}

}  // namespace curvature::internal
