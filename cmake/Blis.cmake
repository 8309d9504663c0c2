# BLIS from Debian's libblis-serial-dev, linked statically: its typed API
# (bli_sgemm, ...) for the dense tile kernels, single-threaded whatever BLIS
# flavour the system's alternatives select, and without its BLAS symbols
# (which would take over from the system BLAS that CHOLMOD and SPQR use).
# An IMPORTED target, found again by the installed curvatureConfig.cmake,
# since a static libcurvature_engine.a needs BLIS when a consumer links.
find_path(BLIS_INCLUDE_DIR blis.h PATH_SUFFIXES x86_64-linux-gnu/blis-serial blis-serial blis REQUIRED)
find_library(BLIS_LIBRARY NAMES libblis.a PATH_SUFFIXES blis-serial REQUIRED)
add_library(curvature_blis INTERFACE IMPORTED)
target_include_directories(curvature_blis SYSTEM INTERFACE ${BLIS_INCLUDE_DIR})
target_link_libraries(curvature_blis INTERFACE ${BLIS_LIBRARY} Threads::Threads m)
