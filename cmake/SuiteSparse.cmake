# CHOLMOD and SPQR from Debian's libsuitesparse-dev, as one interface target.
# An IMPORTED one: the static libraries' export names it without exporting
# it, and the installed curvatureConfig.cmake runs this file again to find
# the libraries on the consumer's machine.
find_path(SUITESPARSE_INCLUDE_DIR cholmod.h PATH_SUFFIXES suitesparse REQUIRED)
find_library(CHOLMOD_LIBRARY cholmod REQUIRED)
find_library(SPQR_LIBRARY spqr REQUIRED)
find_library(SUITESPARSECONFIG_LIBRARY suitesparseconfig REQUIRED)
add_library(curvature_suitesparse INTERFACE IMPORTED)
target_include_directories(curvature_suitesparse SYSTEM INTERFACE ${SUITESPARSE_INCLUDE_DIR})
target_link_libraries(curvature_suitesparse INTERFACE
  ${SPQR_LIBRARY} ${CHOLMOD_LIBRARY} ${SUITESPARSECONFIG_LIBRARY})
