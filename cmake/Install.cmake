# cmake --install: the public headers, the static libraries and the CMake
# package that exports them as curvature::curvature (solve, minimize, train,
# with curvature::engine below it) and curvature::problems; the curv program
# and its data under share/curvature, where problems/data_dir.h finds them
# relative to the program.
include(CMakePackageConfigHelpers)

set(CURVATURE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/curvature)

install(TARGETS curvature_engine curvature curvature_problems
  EXPORT curvatureTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/curvature
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
# The ready-made problems' headers include each other by bare name; the
# installed curvature::problems puts this folder on the include path.
file(GLOB CURVATURE_PROBLEM_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/problems/*.h)
install(FILES ${CURVATURE_PROBLEM_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/curvature/problems)

install(EXPORT curvatureTargets NAMESPACE curvature:: DESTINATION ${CURVATURE_INSTALL_CMAKEDIR})

# What the config file must find again for the static libraries: SuiteSparse
# unless a build without it (CURVATURE_USE_SUITESPARSE=OFF; a build that
# predates the option has SuiteSparse), and BLIS when its kernels are in.
if(NOT DEFINED CURVATURE_USE_SUITESPARSE OR CURVATURE_USE_SUITESPARSE)
  set(CURVATURE_CONFIG_USE_SUITESPARSE ON)
else()
  set(CURVATURE_CONFIG_USE_SUITESPARSE OFF)
endif()
if(CURVATURE_USE_BLIS)
  set(CURVATURE_CONFIG_USE_BLIS ON)
else()
  set(CURVATURE_CONFIG_USE_BLIS OFF)
endif()
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/curvatureConfig.cmake.in
  ${PROJECT_BINARY_DIR}/curvatureConfig.cmake
  INSTALL_DESTINATION ${CURVATURE_INSTALL_CMAKEDIR})
# While the major version is 0, a minor release may change the API (0.x
# semantics): find_package(curvature 0.2) accepts 0.2.x only. From 1.0 on,
# any later release of the same major version.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(CURVATURE_VERSION_COMPATIBILITY SameMinorVersion)
else()
  set(CURVATURE_VERSION_COMPATIBILITY SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/curvatureConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${CURVATURE_VERSION_COMPATIBILITY})
set(CURVATURE_CONFIG_FILES
  ${PROJECT_BINARY_DIR}/curvatureConfig.cmake
  ${PROJECT_BINARY_DIR}/curvatureConfigVersion.cmake)
if(CURVATURE_CONFIG_USE_SUITESPARSE)
  list(APPEND CURVATURE_CONFIG_FILES ${CMAKE_CURRENT_LIST_DIR}/SuiteSparse.cmake)
endif()
if(CURVATURE_CONFIG_USE_BLIS)
  list(APPEND CURVATURE_CONFIG_FILES ${CMAKE_CURRENT_LIST_DIR}/Blis.cmake)
endif()
install(FILES ${CURVATURE_CONFIG_FILES} DESTINATION ${CURVATURE_INSTALL_CMAKEDIR})

# The program and the data it (and the examples) read.
if(TARGET curv)
  install(TARGETS curv RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/ DESTINATION ${CMAKE_INSTALL_DATADIR}/curvature)
