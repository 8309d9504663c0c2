# Every public header compiles on its own: one generated translation unit per
# header under include/curvature/, including nothing else, built as an object
# library. A header that only compiles after another include fails here.
function(curvature_add_header_check)
  file(GLOB public_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/curvature/*.h)
  set(sources)
  foreach(header ${public_headers})
    get_filename_component(name ${header} NAME_WE)
    set(source ${CMAKE_CURRENT_BINARY_DIR}/header_check/${name}.cc)
    file(CONFIGURE OUTPUT ${source} CONTENT "#include \"curvature/${name}.h\"\n")
    list(APPEND sources ${source})
  endforeach()
  add_library(curvature_header_check OBJECT ${sources})
  target_link_libraries(curvature_header_check PRIVATE Eigen3::Eigen)
  target_include_directories(curvature_header_check PRIVATE ${PROJECT_SOURCE_DIR}/include)
  target_compile_options(curvature_header_check PRIVATE -Wall -Wextra -Wpedantic)
endfunction()
