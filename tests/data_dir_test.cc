// find_data_dir: the explicit folder, then CURVATURE_DATA_DIR, then the
// program's installation prefix, then the source tree; and an error that
// lists every place when none holds the folder asked for.
#include "data_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "curvature/error.h"
#include "test_util.h"

namespace curvature {
namespace {

namespace fs = std::filesystem;

// A fresh data root holding nist/ under the temporary folder, removed
// afterwards; CURVATURE_DATA_DIR unset for the test and restored after it.
class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* env = std::getenv("CURVATURE_DATA_DIR")) saved_env_ = env, had_env_ = true;
    unsetenv("CURVATURE_DATA_DIR");
    root_ = fs::temp_directory_path() / ("curvature_data_dir_test_" + std::to_string(getpid()));
    fs::create_directories(root_ / "nist");
  }
  void TearDown() override {
    fs::remove_all(root_);
    if (had_env_) setenv("CURVATURE_DATA_DIR", saved_env_.c_str(), 1);
  }
  fs::path root_;
  std::string saved_env_;
  bool had_env_ = false;
};

TEST_F(DataDirTest, ExplicitRootHoldingTheFolderComesFirst) {
  setenv("CURVATURE_DATA_DIR", CURVATURE_DATA_DIR, 1);
  EXPECT_EQ(find_data_dir("nist", root_.string()), (root_ / "nist").string());
}

TEST_F(DataDirTest, EnvironmentComesBeforeTheSourceTree) {
  setenv("CURVATURE_DATA_DIR", root_.c_str(), 1);
  EXPECT_EQ(find_data_dir("nist"), (root_ / "nist").string());
  // An explicit root without the folder is passed over for the next place.
  EXPECT_EQ(find_data_dir("nist", (root_ / "nist").string()), (root_ / "nist").string());
}

TEST_F(DataDirTest, SourceTreeIsTheLastResort) {
  // This test program runs from the build tree, where no share/curvature is.
  EXPECT_EQ(fs::path(find_data_dir("nist")), fs::path(CURVATURE_DATA_DIR) / "nist");
  EXPECT_EQ(fs::path(find_data_dir("nn", root_.string())), fs::path(CURVATURE_DATA_DIR) / "nn");
}

TEST_F(DataDirTest, NothingFoundListsEveryPlaceItLooked) {
  setenv("CURVATURE_DATA_DIR", "/nonexistent/env", 1);
  const std::string message = testing::error_message([&] { find_data_dir("no_such_folder", "/nonexistent/explicit"); });
  EXPECT_NE(message.find("data folder 'no_such_folder' not found"), std::string::npos) << message;
  EXPECT_NE(message.find("/nonexistent/explicit/no_such_folder (given explicitly"), std::string::npos) << message;
  EXPECT_NE(message.find("/nonexistent/env/no_such_folder (environment variable CURVATURE_DATA_DIR)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("share/curvature/no_such_folder (installation prefix"), std::string::npos) << message;
  EXPECT_NE(message.find(std::string(CURVATURE_DATA_DIR) + "/no_such_folder (source tree"), std::string::npos)
      << message;
}

TEST_F(DataDirTest, EmptyFolderNameIsAnError) {
  EXPECT_NE(testing::error_message([] { find_data_dir(""); }).find("must not be empty"), std::string::npos);
}

}  // namespace
}  // namespace curvature
