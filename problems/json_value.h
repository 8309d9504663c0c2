// json_value.h — a small JSON reader for the files curvature writes itself
// (the saved networks of mlp_model_io.h): objects, arrays, strings, numbers,
// booleans and null, parsed into a tree. Numbers are read by std::from_chars,
// so a double written with its shortest round-trip decimal (to_decimal())
// reads back bit for bit. Internal to problems/.
//
// A reader of ~200 lines rather than a JSON library: the files are small and
// of one known shape, and a dependency would be one more package for every
// build for what fits on a few screens. Errors (curvature::Error) name the
// source and the line: "model.json, line 7: expected ',' or ']'".
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace curvature::internal {

class JsonValue {
 public:
  enum class Kind { kNull, kBoolean, kNumber, kString, kArray, kObject };

  // Parses the whole text (one value, surrounded by white space only).
  // `source` names the text in error messages.
  static JsonValue parse(const std::string& text, const std::string& source);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }

  // The accessors throw curvature::Error naming `what` when the value is of
  // another kind (or, for member(), when the key is missing).
  bool boolean(const std::string& what) const;
  double number(const std::string& what) const;
  const std::string& string(const std::string& what) const;
  const std::vector<JsonValue>& array(const std::string& what) const;
  const JsonValue& member(const std::string& key, const std::string& what) const;
  bool has_member(const std::string& key) const;
  // The object's keys, sorted.
  std::vector<std::string> keys(const std::string& what) const;

 private:
  friend class JsonParser;
  Kind kind_ = Kind::kNull;
  bool boolean_ = false;
  double number_ = 0.0;
  std::string string_;
  std::vector<JsonValue> array_;
  std::map<std::string, JsonValue> object_;
};

}  // namespace curvature::internal
