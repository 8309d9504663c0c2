// data_dir.h — where curvature's data files are: the NIST StRD problems
// (nist/*.dat), the network data sets (nn/*.csv) and the pose graphs
// (posegraph/*.g2o), wherever the program that reads them was installed or
// built.
#pragma once

#include <string>

namespace curvature {

// The directory <root>/<subdir> (subdir "nist", "nn" or "posegraph") of the
// first data root below that holds `subdir` as a directory:
//   1. explicit_root, when not empty (curv's --data-dir);
//   2. the environment variable CURVATURE_DATA_DIR, when set and not empty;
//   3. share/curvature of the running program's installation prefix:
//      <folder of /proc/self/exe>/../share/curvature, where cmake --install
//      puts the data next to bin/curv;
//   4. the source tree's data/ that the library was built from.
// Throws curvature::Error naming `subdir` and listing every place it looked
// (with the origin of each) when none holds it.
std::string find_data_dir(const std::string& subdir, const std::string& explicit_root = "");

}  // namespace curvature
