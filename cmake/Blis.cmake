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
# The archive also holds BLIS's BLAS layer (dgemm_, dsyrk_, ...). An
# executable that links it next to CHOLMOD pulls that layer in for
# CHOLMOD's references and exports it, so CHOLMOD's supernodal calls ran on
# BLIS's object API, whose per-call checks dominate on small supernodes.
# Keeping the archive's symbols out of the dynamic table leaves CHOLMOD and
# SPQR on the system BLAS, as intended above.
target_link_options(curvature_blis INTERFACE "LINKER:--exclude-libs,libblis.a")
