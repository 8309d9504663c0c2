// bal_camera_model.h — the camera of the BAL data sets ("Bundle Adjustment in
// the Large", Agarwal, Snavely, Seitz & Szeliski, ECCV 2010) and its
// reprojection residual, generic in the scalar type so that curvature's and
// Ceres Solver's automatic differentiation both read the same model.
//
// A camera has 9 parameters: the angle-axis rotation R (3), the translation
// t (3), the focal length f and the radial distortion k1, k2. A point X (3
// parameters) projects as
//
//   P  = R X + t                             (camera coordinates)
//   p  = -P / P_z                            (the camera looks down -z)
//   p' = f (1 + k1 |p|^2 + k2 |p|^4) p       (pixels, from the image centre)
//
// and the residual of an observation (x, y) is p' - (x, y). A point behind
// the camera (P_z > 0) still projects by the same formula, as in the BAL
// data sets and Ceres's example; at P_z = 0 the residual is not finite and
// the solver rejects the step.
#pragma once

#include "curvature/rotation.h"

namespace curvature {

inline constexpr int kBalCameraSize = 9;
inline constexpr int kBalPointSize = 3;

struct BalReprojection {
  double observed_x;
  double observed_y;

  template <typename T>
  bool operator()(const T* camera, const T* point, T* residuals) const {
    T p[3];
    angle_axis_rotate_point(camera, point, p);
    p[0] += camera[3];
    p[1] += camera[4];
    p[2] += camera[5];
    const T x = -p[0] / p[2];
    const T y = -p[1] / p[2];
    const T r2 = x * x + y * y;
    const T scale = camera[6] * (1.0 + r2 * (camera[7] + camera[8] * r2));
    residuals[0] = scale * x - observed_x;
    residuals[1] = scale * y - observed_y;
    return true;
  }
};

}  // namespace curvature
