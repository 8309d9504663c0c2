#include "nist.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <istream>
#include <optional>
#include <string_view>

#include "curvature/error.h"
#include "data_dir.h"
#include "nist_models.h"

namespace curvature {
namespace {

std::vector<std::string_view> split_whitespace(std::string_view line) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    const size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > start) tokens.push_back(line.substr(start, i - start));
  }
  return tokens;
}

bool starts_with_word(const std::vector<std::string_view>& tokens, std::string_view word) {
  return !tokens.empty() && tokens.front() == word;
}

// Reads the file line by line and keeps the position, so that every error can
// say "<path>:<line>: ...".
class NistFileParser {
 public:
  explicit NistFileParser(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail_to_open() const { fail_at_file("cannot open the file"); }

  NistProblem parse(std::istream& in) {
    problem_.name = base_name(path_);

    std::string raw;
    bool in_data = false;
    int data_columns = 0;
    while (std::getline(in, raw)) {
      ++line_number_;
      // The files have DOS line endings.
      if (!raw.empty() && raw.back() == '\r') raw.pop_back();
      const std::vector<std::string_view> tokens = split_whitespace(raw);
      if (tokens.empty()) continue;
      if (in_data) {
        read_observation(tokens, data_columns);
      } else if (is_data_header(tokens)) {
        in_data = true;
        data_columns = static_cast<int>(tokens.size()) - 1;
        data_header_line_ = line_number_;
        if (data_columns != 2 && data_columns != 3) {
          fail("the data header names " + std::to_string(data_columns) + " columns; expected 'y x' or 'y x1 x2'");
        }
      } else {
        read_header_line(raw, tokens);
      }
    }
    if (in.bad()) fail_at_file("read error");
    validate();
    return std::move(problem_);
  }

 private:
  static std::string base_name(const std::string& path) {
    const size_t slash = path.find_last_of("/\\");
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    const size_t dot = name.rfind('.');
    if (dot != std::string::npos && dot > 0) name.resize(dot);
    return name;
  }

  // The description block also starts with "Data:" ("Data: 1 Response
  // Variable ..."); the table header is the one whose first column is y.
  static bool is_data_header(const std::vector<std::string_view>& tokens) {
    return tokens.size() >= 2 && tokens[0] == "Data:" && tokens[1] == "y";
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(path_ + ":" + std::to_string(line_number_) + ": " + what);
  }
  [[noreturn]] void fail_at_line(int line, const std::string& what) const {
    throw Error(path_ + ":" + std::to_string(line) + ": " + what);
  }
  [[noreturn]] void fail_at_file(const std::string& what) const {
    throw Error("NIST problem file '" + path_ + "': " + what);
  }

  double number(std::string_view token, std::string_view what) const {
    double value = 0.0;
    const char* first = token.data();
    const char* last = token.data() + token.size();
    // from_chars rejects a leading '+', which NIST never writes; it is
    // locale-independent, unlike strtod.
    const auto [end, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || end != last || !std::isfinite(value)) {
      fail("malformed number '" + std::string(token) + "' in " + std::string(what));
    }
    return value;
  }

  int count(std::string_view token, std::string_view what) const {
    int value = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (ec != std::errc() || end != token.data() + token.size() || value <= 0) {
      fail("malformed count '" + std::string(token) + "' in " + std::string(what));
    }
    return value;
  }

  void read_header_line(const std::string& raw, const std::vector<std::string_view>& tokens) {
    // "b3 =   0.02   0.010   1.0530908399E-02   7.9281847748E-04"
    if (tokens.size() >= 2 && tokens[1] == "=" && tokens[0].size() >= 2 && tokens[0][0] == 'b' &&
        std::all_of(tokens[0].begin() + 1, tokens[0].end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      read_parameter(tokens);
      return;
    }
    const std::string_view line(raw);
    if (line.find("Residual Sum of Squares:") != std::string_view::npos) {
      if (tokens.size() != 5) fail("expected one number after 'Residual Sum of Squares:'");
      problem_.certified_residual_sum_of_squares = number(tokens[4], "the residual sum of squares");
      have_rss_ = true;
      return;
    }
    if (line.find("Number of Observations:") != std::string_view::npos) {
      if (tokens.size() != 4) fail("expected one count after 'Number of Observations:'");
      stated_observations_.push_back({count(tokens[3], "the number of observations"), line_number_});
      return;
    }
    if (line.find("Level of Difficulty") != std::string_view::npos) {
      const size_t first = starts_with_word(tokens, "Data:") ? 1 : 0;
      std::string level(tokens.at(first));
      std::transform(level.begin(), level.end(), level.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (level != "lower" && level != "average" && level != "higher") {
        fail("unknown difficulty '" + std::string(tokens.at(first)) + "'");
      }
      problem_.difficulty = level;
      return;
    }
    // "14 Observations" (in the description block, possibly after "Data:").
    // "2 Parameters (b1 and b2)" (in the model block, possibly after "Model:").
    for (size_t i = 0; i + 1 < tokens.size(); ++i) {
      if (tokens[i + 1] == "Observations" && std::isdigit(static_cast<unsigned char>(tokens[i][0]))) {
        stated_observations_.push_back({count(tokens[i], "the number of observations"), line_number_});
        return;
      }
      if (tokens[i + 1] == "Parameters" && std::isdigit(static_cast<unsigned char>(tokens[i][0]))) {
        stated_parameters_ = count(tokens[i], "the number of parameters");
        stated_parameters_line_ = line_number_;
        return;
      }
    }
  }

  void read_parameter(const std::vector<std::string_view>& tokens) {
    const int index = count(tokens[0].substr(1), "a parameter name");
    const int expected = static_cast<int>(problem_.certified.size()) + 1;
    if (index != expected) {
      fail("parameter b" + std::to_string(index) + " out of order; expected b" + std::to_string(expected));
    }
    if (tokens.size() != 6) {
      fail("parameter line for b" + std::to_string(index) + " has " + std::to_string(tokens.size() - 2) +
           " numbers; expected 4 (start 1, start 2, certified value, standard deviation)");
    }
    problem_.start1.push_back(number(tokens[2], "start 1"));
    problem_.start2.push_back(number(tokens[3], "start 2"));
    problem_.certified.push_back(number(tokens[4], "the certified value"));
    problem_.certified_std_dev.push_back(number(tokens[5], "the certified standard deviation"));
  }

  void read_observation(const std::vector<std::string_view>& tokens, int columns) {
    if (static_cast<int>(tokens.size()) != columns) {
      fail("observation row has " + std::to_string(tokens.size()) + " columns; the data header names " +
           std::to_string(columns));
    }
    problem_.y.push_back(number(tokens[0], "column y"));
    problem_.x.push_back(number(tokens[1], "column x"));
    if (columns == 3) problem_.x2.push_back(number(tokens[2], "column x2"));
  }

  void validate() {
    if (problem_.certified.empty()) fail_at_file("no parameter lines 'b1 = ...' found");
    if (stated_parameters_ == 0) fail_at_file("no '<k> Parameters' statement found");
    if (stated_parameters_ != static_cast<int>(problem_.certified.size())) {
      fail_at_line(stated_parameters_line_, "states " + std::to_string(stated_parameters_) +
                                                " parameters but the file lists " +
                                                std::to_string(problem_.certified.size()));
    }
    if (!have_rss_) fail_at_file("no 'Residual Sum of Squares:' line found");
    if (problem_.difficulty.empty()) fail_at_file("no '... Level of Difficulty' line found");
    if (data_header_line_ == 0) fail_at_file("no data header 'Data: y x' found");
    if (problem_.y.empty()) fail_at_line(data_header_line_, "no observations after the data header");
    if (stated_observations_.empty()) fail_at_file("no '<n> Observations' statement found");
    for (const auto& [stated, line] : stated_observations_) {
      if (stated != static_cast<int>(problem_.y.size())) {
        fail_at_line(line, "states " + std::to_string(stated) + " observations but the data has " +
                               std::to_string(problem_.y.size()) + " rows");
      }
    }
    problem_.num_parameters = stated_parameters_;
    problem_.num_observations = static_cast<int>(problem_.y.size());
  }

  struct Stated {
    int value;
    int line;
  };

  std::string path_;
  int line_number_ = 0;
  NistProblem problem_;
  bool have_rss_ = false;
  int stated_parameters_ = 0;
  int stated_parameters_line_ = 0;
  int data_header_line_ = 0;
  // Each file states the count twice ("14 Observations", "Number of
  // Observations: 14"); both are checked against the rows.
  std::vector<Stated> stated_observations_;
};

}  // namespace

NistProblem load_nist_problem(const std::string& path) {
  NistFileParser parser(path);
  std::ifstream in(path);
  if (!in) parser.fail_to_open();
  return parser.parse(in);
}

NistProblem read_nist_problem(std::istream& in, const std::string& path) { return NistFileParser(path).parse(in); }

std::vector<std::string> nist_problem_names() {
  std::vector<std::string> names;
  for_each_nist_model([&]<typename Model>() { names.emplace_back(Model::kName); });
  return names;
}

std::string nist_data_dir() { return find_data_dir("nist"); }

NistProblem load_nist_problem_by_name(const std::string& name) {
  if (!visit_nist_model(name, []<typename>() {})) {
    std::string known;
    for (const std::string& n : nist_problem_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown NIST problem '" + name + "'; known problems: " + known);
  }
  return load_nist_problem(nist_data_dir() + "/" + name + ".dat");
}

double log_relative_error(double estimate, double certified) {
  if (!std::isfinite(estimate) || !std::isfinite(certified)) return 0.0;
  const double error = certified == 0.0 ? std::abs(estimate) : std::abs(estimate - certified) / std::abs(certified);
  if (error == 0.0) return kMaxLogRelativeError;
  return std::clamp(-std::log10(error), 0.0, kMaxLogRelativeError);
}

double min_log_relative_error(const std::vector<double>& estimate, const std::vector<double>& certified) {
  if (estimate.size() != certified.size()) {
    throw Error("min_log_relative_error: " + std::to_string(estimate.size()) + " estimates for " +
                std::to_string(certified.size()) + " certified values");
  }
  double lowest = kMaxLogRelativeError;
  for (size_t i = 0; i < estimate.size(); ++i) {
    lowest = std::min(lowest, log_relative_error(estimate[i], certified[i]));
  }
  return lowest;
}

}  // namespace curvature
