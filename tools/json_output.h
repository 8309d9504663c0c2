// json_output.h — where a command's --json goes: a file, opened as the
// command starts so that a path that cannot be written is refused before
// any work is done, or standard output for "-". With "-" the human-readable
// report moves to standard error, so that standard output holds JSON lines
// alone and pipes straight into a JSON reader.
#pragma once

#include <cstdio>
#include <string>

#include "curvature/error.h"
#include "json_line.h"

namespace curvature::tools {

class JsonOutput {
 public:
  // `path` empty: no JSON; "-": standard output; otherwise the file, created
  // or truncated now. Throws curvature::Error naming --json when it cannot.
  explicit JsonOutput(const std::string& path) : path_(path) {
    if (path_.empty()) return;
    if (path_ == "-") {
      file_ = stdout;
      return;
    }
    file_ = std::fopen(path_.c_str(), "w");
    if (!file_) throw Error("--json: cannot write '" + path_ + "'");
  }
  ~JsonOutput() {
    if (file_ && file_ != stdout) std::fclose(file_);
  }
  JsonOutput(const JsonOutput&) = delete;
  JsonOutput& operator=(const JsonOutput&) = delete;

  bool enabled() const { return file_ != nullptr; }

  // Writes one line (when enabled) and flushes it, so that a run cut short
  // leaves every finished record behind.
  void write(const JsonLine& line) {
    if (!file_) return;
    const std::string text = line.str();
    if (std::fputs(text.c_str(), file_) < 0 || std::fflush(file_) != 0) {
      throw Error("--json: cannot write '" + path_ + "'");
    }
  }

  // Where the human-readable report goes: standard error when the JSON
  // takes standard output, standard output otherwise.
  std::FILE* report() const { return file_ == stdout ? stderr : stdout; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace curvature::tools
