#include "data_dir.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "curvature/error.h"

namespace curvature {
namespace {

namespace fs = std::filesystem;

// One place to look, and why it is on the list, for the error message.
struct Candidate {
  fs::path root;
  std::string origin;
};

// <prefix>/share/curvature for the prefix the running program is installed
// under (<prefix>/bin/program); empty when /proc/self/exe cannot be read.
fs::path installed_data_root() {
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (error || executable.empty()) return {};
  return (executable.parent_path().parent_path() / "share" / "curvature").lexically_normal();
}

std::vector<Candidate> candidates(const std::string& explicit_root) {
  std::vector<Candidate> list;
  if (!explicit_root.empty()) list.push_back({explicit_root, "given explicitly (--data-dir)"});
  if (const char* env = std::getenv("CURVATURE_DATA_DIR"); env != nullptr && *env != '\0') {
    list.push_back({env, "environment variable CURVATURE_DATA_DIR"});
  }
  if (fs::path installed = installed_data_root(); !installed.empty()) {
    list.push_back({std::move(installed), "installation prefix of the running program"});
  }
#ifdef CURVATURE_DATA_DIR
  list.push_back({CURVATURE_DATA_DIR, "source tree the library was built from"});
#endif
  return list;
}

}  // namespace

std::string find_data_dir(const std::string& subdir, const std::string& explicit_root) {
  if (subdir.empty()) throw Error("find_data_dir: the data subdirectory must not be empty");
  std::string looked;
  for (const Candidate& candidate : candidates(explicit_root)) {
    const fs::path dir = candidate.root / subdir;
    std::error_code error;
    if (fs::is_directory(dir, error)) return dir.string();
    looked += "\n  " + dir.string() + " (" + candidate.origin + ")";
  }
  throw Error("data folder '" + subdir + "' not found; looked in:" + looked +
              "\nset CURVATURE_DATA_DIR (or curv's --data-dir) to the folder that holds " + subdir + "/");
}

}  // namespace curvature
