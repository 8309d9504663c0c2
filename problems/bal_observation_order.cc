#include "bal_observation_order.h"

#include <algorithm>
#include <vector>

#include "curvature/error.h"

namespace curvature {

BalObservationOrder parse_bal_observation_order(const std::string& name, const std::string& option) {
  if (name == "given") return BalObservationOrder::kGiven;
  if (name == "point") return BalObservationOrder::kPoint;
  if (name == "camera") return BalObservationOrder::kCamera;
  throw Error(option + ": unknown observation order '" + name + "' (known: given, point, camera)");
}

const char* to_string(BalObservationOrder order) {
  switch (order) {
    case BalObservationOrder::kPoint:
      return "point";
    case BalObservationOrder::kCamera:
      return "camera";
    case BalObservationOrder::kGiven:
      break;
  }
  return "given";
}

void order_bal_observations(BalScene* scene, BalObservationOrder order) {
  if (scene == nullptr) throw Error("order_bal_observations: the scene must not be null");
  std::vector<BalObservation>& observations = scene->observations;
  if (order == BalObservationOrder::kPoint) {
    std::stable_sort(observations.begin(), observations.end(), [](const BalObservation& a, const BalObservation& b) {
      return a.point != b.point ? a.point < b.point : a.camera < b.camera;
    });
  } else if (order == BalObservationOrder::kCamera) {
    std::stable_sort(observations.begin(), observations.end(), [](const BalObservation& a, const BalObservation& b) {
      return a.camera != b.camera ? a.camera < b.camera : a.point < b.point;
    });
  }
}

}  // namespace curvature
