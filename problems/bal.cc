// bal.cc — the BAL reader and writer, and the BAL problem: the one place the
// reprojection residual's AutoDiffCostFunction is instantiated.
#include "bal.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

#include "curvature/autodiff_cost_function.h"
#include "curvature/error.h"

namespace curvature {
namespace {

using BalCost = AutoDiffCostFunction<BalReprojection, 2, kBalCameraSize, kBalPointSize>;

// The whitespace-separated fields of a whole file, one at a time, with the
// line each starts on.
class FieldReader {
 public:
  FieldReader(std::string text, std::string source) : text_(std::move(text)), source_(std::move(source)) {}

  // The next field, or an Error saying which field was expected where the
  // text ended.
  std::string_view next(const std::string& what) {
    skip_space();
    if (position_ == text_.size()) {
      fail("the file ends where " + what + " was expected");
    }
    const size_t start = position_;
    while (position_ < text_.size() && !is_space(text_[position_])) ++position_;
    return std::string_view(text_).substr(start, position_ - start);
  }

  // The next field as a finite double.
  double number(const std::string& what) {
    const std::string_view field = next(what);
    double value = 0.0;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (error != std::errc() || end != field.data() + field.size()) {
      fail(what + ": \"" + std::string(field) + "\" is not a number");
    }
    if (!std::isfinite(value)) fail(what + ": " + std::string(field) + " is not finite");
    return value;
  }

  // The next field as a whole number in [low, high]; `range` says where the
  // bounds come from.
  int whole_number(const std::string& what, long long low, long long high, const std::string& range) {
    const std::string_view field = next(what);
    long long value = 0;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (error == std::errc::result_out_of_range) fail(what + ": " + std::string(field) + " is out of range " + range);
    if (error != std::errc() || end != field.data() + field.size()) {
      fail(what + ": \"" + std::string(field) + "\" is not a whole number");
    }
    if (value < low || value > high) fail(what + ": " + std::string(field) + " is out of range " + range);
    return static_cast<int>(value);
  }

  // Whether anything but white space is left.
  bool at_end() {
    skip_space();
    return position_ == text_.size();
  }

  [[noreturn]] void fail(const std::string& message) const {
    throw Error("read_bal: " + source_ + ", line " + std::to_string(line_) + ": " + message);
  }

  size_t size() const { return text_.size(); }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

  void skip_space() {
    while (position_ < text_.size() && is_space(text_[position_])) {
      if (text_[position_] == '\n') ++line_;
      ++position_;
    }
  }

  std::string text_;
  std::string source_;
  size_t position_ = 0;
  int line_ = 1;
};

// The largest count whose parameter array still has an int index.
constexpr long long kMaxCount = std::numeric_limits<int>::max() / kBalCameraSize;

const char* const kCameraFields[kBalCameraSize] = {
    "rotation[0]", "rotation[1]", "rotation[2]", "translation[0]", "translation[1]", "translation[2]", "f", "k1", "k2"};

void check_sizes(const BalScene& scene, const std::string& who) {
  if (scene.num_cameras < 0 || scene.num_points < 0) throw Error(who + ": negative camera or point count");
  if (scene.cameras.size() != static_cast<size_t>(scene.num_cameras) * kBalCameraSize) {
    throw Error(who + ": cameras holds " + std::to_string(scene.cameras.size()) + " numbers, expected 9 x " +
                std::to_string(scene.num_cameras));
  }
  if (scene.points.size() != static_cast<size_t>(scene.num_points) * kBalPointSize) {
    throw Error(who + ": points holds " + std::to_string(scene.points.size()) + " numbers, expected 3 x " +
                std::to_string(scene.num_points));
  }
  for (size_t k = 0; k < scene.observations.size(); ++k) {
    const BalObservation& o = scene.observations[k];
    if (o.camera < 0 || o.camera >= scene.num_cameras || o.point < 0 || o.point >= scene.num_points) {
      throw Error(who + ": observation " + std::to_string(k) + " refers to camera " + std::to_string(o.camera) +
                  " and point " + std::to_string(o.point) + ", out of range for " + std::to_string(scene.num_cameras) +
                  " cameras and " + std::to_string(scene.num_points) + " points");
    }
  }
}

}  // namespace

BalScene read_bal(std::istream& in, const std::string& source) {
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error("read_bal: " + source + ": read error");
  FieldReader reader(std::move(text), source);
  BalScene scene;
  const std::string positive = "(must be 1 to " + std::to_string(kMaxCount) + ")";
  scene.num_cameras = reader.whole_number("header, number of cameras", 1, kMaxCount, positive);
  scene.num_points = reader.whole_number("header, number of points", 1, kMaxCount, positive);
  const int num_observations = reader.whole_number("header, number of observations", 1, kMaxCount, positive);

  // A field takes at least two characters, so the text bounds what can be
  // reserved up front whatever the header claims.
  const size_t most_fields = reader.size() / 2 + 1;
  scene.observations.reserve(std::min<size_t>(num_observations, most_fields / 4));
  const std::string cameras_range = "(the header declares " + std::to_string(scene.num_cameras) + " cameras: 0 to " +
                                    std::to_string(scene.num_cameras - 1) + ")";
  const std::string points_range = "(the header declares " + std::to_string(scene.num_points) + " points: 0 to " +
                                   std::to_string(scene.num_points - 1) + ")";
  for (int k = 0; k < num_observations; ++k) {
    const std::string name = "observation " + std::to_string(k) + " of " + std::to_string(num_observations);
    BalObservation o;
    o.camera = reader.whole_number(name + ", camera", 0, scene.num_cameras - 1, cameras_range);
    o.point = reader.whole_number(name + ", point", 0, scene.num_points - 1, points_range);
    o.x = reader.number(name + ", x");
    o.y = reader.number(name + ", y");
    scene.observations.push_back(o);
  }
  scene.cameras.reserve(std::min<size_t>(static_cast<size_t>(scene.num_cameras) * kBalCameraSize, most_fields));
  for (int i = 0; i < scene.num_cameras; ++i) {
    for (int c = 0; c < kBalCameraSize; ++c) {
      scene.cameras.push_back(reader.number("camera " + std::to_string(i) + " of " + std::to_string(scene.num_cameras) +
                                            ", " + kCameraFields[c]));
    }
  }
  scene.points.reserve(std::min<size_t>(static_cast<size_t>(scene.num_points) * kBalPointSize, most_fields));
  for (int j = 0; j < scene.num_points; ++j) {
    for (int c = 0; c < kBalPointSize; ++c) {
      scene.points.push_back(reader.number("point " + std::to_string(j) + " of " + std::to_string(scene.num_points) +
                                           ", coordinate " + "xyz"[c]));
    }
  }
  if (!reader.at_end()) {
    const std::string_view extra = reader.next("");
    reader.fail("\"" + std::string(extra.substr(0, 40)) + "\" follows the last point (the header declares " +
                std::to_string(scene.num_observations()) + " observations, " + std::to_string(scene.num_cameras) +
                " cameras and " + std::to_string(scene.num_points) + " points)");
  }
  return scene;
}

BalScene read_bal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("read_bal: cannot open '" + path + "'");
  return read_bal(in, path);
}

void write_bal(const BalScene& scene, std::ostream& out) {
  check_sizes(scene, "write_bal");
  out << scene.num_cameras << ' ' << scene.num_points << ' ' << scene.observations.size() << '\n';
  char buffer[64];
  auto put = [&](double value, char after) {
    const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
    out.write(buffer, result.ptr - buffer);
    out.put(after);
  };
  for (const BalObservation& o : scene.observations) {
    out << o.camera << ' ' << o.point << ' ';
    put(o.x, ' ');
    put(o.y, '\n');
  }
  for (double value : scene.cameras) put(value, '\n');
  for (double value : scene.points) put(value, '\n');
}

void write_bal(const BalScene& scene, const std::string& path) {
  check_sizes(scene, "write_bal");
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("write_bal: cannot write '" + path + "'");
  write_bal(scene, out);
  out.flush();
  if (!out) throw Error("write_bal: cannot write '" + path + "'");
}

std::shared_ptr<const CostFunction> make_bal_reprojection_cost(double observed_x, double observed_y) {
  return std::make_shared<BalCost>(BalReprojection{observed_x, observed_y});
}

BalLoss parse_bal_loss(const std::string& name, const std::string& option) {
  if (name == "none") return BalLoss::kNone;
  if (name == "huber") return BalLoss::kHuber;
  if (name == "cauchy") return BalLoss::kCauchy;
  throw Error(option + ": unknown loss '" + name + "' (known: none, huber, cauchy)");
}

const char* to_string(BalLoss loss) {
  switch (loss) {
    case BalLoss::kHuber:
      return "huber";
    case BalLoss::kCauchy:
      return "cauchy";
    case BalLoss::kNone:
      break;
  }
  return "none";
}

void add_bal_residuals(BalScene* scene, Problem* problem, const BalProblemOptions& options) {
  if (scene == nullptr || problem == nullptr) throw Error("add_bal_residuals: scene and problem must not be null");
  check_sizes(*scene, "add_bal_residuals");
  std::shared_ptr<const LossFunction> loss;
  if (options.loss != BalLoss::kNone) {
    require_option(std::isfinite(options.loss_scale) && options.loss_scale > 0.0, "BalProblemOptions", "loss_scale",
                   "positive and finite", options.loss_scale);
    if (options.loss == BalLoss::kHuber) loss = std::make_shared<HuberLoss>(options.loss_scale);
    if (options.loss == BalLoss::kCauchy) loss = std::make_shared<CauchyLoss>(options.loss_scale);
  }
  for (const BalObservation& o : scene->observations) {
    problem->add_residual_block(make_bal_reprojection_cost(o.x, o.y), loss, scene->camera(o.camera),
                                scene->point(o.point));
  }
}

double bal_squared_error_cost(const BalScene& scene) {
  check_sizes(scene, "bal_squared_error_cost");
  double cost = 0.0;
  for (const BalObservation& o : scene.observations) {
    const BalReprojection residual{o.x, o.y};
    double r[2];
    residual(scene.camera(o.camera), scene.point(o.point), r);
    cost += 0.5 * (r[0] * r[0] + r[1] * r[1]);
  }
  return cost;
}

}  // namespace curvature
