#include "json_value.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "curvature/error.h"

namespace curvature::internal {
namespace {

const char* kind_name(JsonValue::Kind kind) {
  switch (kind) {
    case JsonValue::Kind::kNull:
      return "null";
    case JsonValue::Kind::kBoolean:
      return "a boolean";
    case JsonValue::Kind::kNumber:
      return "a number";
    case JsonValue::Kind::kString:
      return "a string";
    case JsonValue::Kind::kArray:
      return "an array";
    case JsonValue::Kind::kObject:
      return "an object";
  }
  return "?";
}

[[noreturn]] void wrong_kind(const std::string& what, const char* expected, JsonValue::Kind found) {
  throw Error(what + ": expected " + expected + ", found " + kind_name(found));
}

}  // namespace

// Recursive descent over the text; nesting deeper than kMaxDepth is refused
// so that a corrupted file cannot exhaust the stack.
class JsonParser {
 public:
  JsonParser(const std::string& text, const std::string& source) : text_(text), source_(source) {}

  JsonValue parse_document() {
    JsonValue value = parse_value(0);
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the JSON value");
    return value;
  }

 private:
  static constexpr int kMaxDepth = 64;

  [[noreturn]] void fail(const std::string& message) const {
    int line = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) line += text_[i] == '\n';
    throw Error(source_ + ", line " + std::to_string(line) + ": " + message);
  }

  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect_word(const char* word) {
    const std::string w(word);
    if (text_.compare(pos_, w.size(), w) != 0) fail("unexpected character");
    pos_ += w.size();
  }

  JsonValue parse_value(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end of the file");
    JsonValue value;
    const char c = text_[pos_];
    if (c == '{') {
      ++pos_;
      value.kind_ = JsonValue::Kind::kObject;
      if (consume('}')) return value;
      do {
        skip_space();
        if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a string key");
        std::string key = parse_string();
        if (!consume(':')) fail("expected ':' after the key \"" + key + "\"");
        JsonValue member = parse_value(depth + 1);
        if (!value.object_.emplace(key, std::move(member)).second) fail("duplicate key \"" + key + "\"");
      } while (consume(','));
      if (!consume('}')) fail("expected ',' or '}'");
    } else if (c == '[') {
      ++pos_;
      value.kind_ = JsonValue::Kind::kArray;
      if (consume(']')) return value;
      do {
        value.array_.push_back(parse_value(depth + 1));
      } while (consume(','));
      if (!consume(']')) fail("expected ',' or ']'");
    } else if (c == '"') {
      value.kind_ = JsonValue::Kind::kString;
      value.string_ = parse_string();
    } else if (c == 't') {
      expect_word("true");
      value.kind_ = JsonValue::Kind::kBoolean;
      value.boolean_ = true;
    } else if (c == 'f') {
      expect_word("false");
      value.kind_ = JsonValue::Kind::kBoolean;
    } else if (c == 'n') {
      expect_word("null");
    } else {
      value.kind_ = JsonValue::Kind::kNumber;
      value.number_ = parse_number();
    }
    return value;
  }

  // Strings as curvature writes them: escapes \" \\ \/ \b \f \n \r \t and
  // \u00XX (control characters); other \u escapes are refused.
  std::string parse_string() {
    ++pos_;  // the opening quote
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) fail("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) fail("unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned code = 0;
          if (pos_ + 4 > text_.size()) fail("truncated \\u escape");
          const auto [ptr, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, code, 16);
          if (ec != std::errc() || ptr != text_.data() + pos_ + 4) fail("bad \\u escape");
          if (code > 0x7f) fail("\\u escapes beyond ASCII are not supported");
          pos_ += 4;
          out += static_cast<char>(code);
          break;
        }
        default:
          fail(std::string("unknown escape \\") + e);
      }
    }
  }

  double parse_number() {
    const size_t begin = pos_;
    while (pos_ < text_.size() &&
           (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '-' || text_[pos_] == '+' ||
            text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
    }
    if (pos_ == begin) fail("unexpected character '" + std::string(1, text_[pos_]) + "'");
    double value = 0.0;
    const auto [ptr, ec] = std::from_chars(text_.data() + begin, text_.data() + pos_, value);
    if (ec != std::errc() || ptr != text_.data() + pos_ || !std::isfinite(value)) {
      const std::string field = text_.substr(begin, pos_ - begin);
      pos_ = begin;
      fail("\"" + field + "\" is not a finite number");
    }
    return value;
  }

  const std::string& text_;
  const std::string& source_;
  size_t pos_ = 0;
};

JsonValue JsonValue::parse(const std::string& text, const std::string& source) {
  return JsonParser(text, source).parse_document();
}

bool JsonValue::boolean(const std::string& what) const {
  if (kind_ != Kind::kBoolean) wrong_kind(what, "a boolean", kind_);
  return boolean_;
}

double JsonValue::number(const std::string& what) const {
  if (kind_ != Kind::kNumber) wrong_kind(what, "a number", kind_);
  return number_;
}

const std::string& JsonValue::string(const std::string& what) const {
  if (kind_ != Kind::kString) wrong_kind(what, "a string", kind_);
  return string_;
}

const std::vector<JsonValue>& JsonValue::array(const std::string& what) const {
  if (kind_ != Kind::kArray) wrong_kind(what, "an array", kind_);
  return array_;
}

const JsonValue& JsonValue::member(const std::string& key, const std::string& what) const {
  if (kind_ != Kind::kObject) wrong_kind(what, "an object", kind_);
  const auto it = object_.find(key);
  if (it == object_.end()) throw Error(what + ": no \"" + key + "\"");
  return it->second;
}

bool JsonValue::has_member(const std::string& key) const { return kind_ == Kind::kObject && object_.count(key) > 0; }

std::vector<std::string> JsonValue::keys(const std::string& what) const {
  if (kind_ != Kind::kObject) wrong_kind(what, "an object", kind_);
  std::vector<std::string> out;
  for (const auto& entry : object_) out.push_back(entry.first);
  return out;
}

}  // namespace curvature::internal
