# Runs curv once and checks what a script would see: the exit status, and
# optionally standard output and standard error against regular expressions,
# and standard output as one JSON object (parsed by CMake's own JSON reader)
# with given values. Usage (lists separated by "|"):
#   cmake -DCURV=path -DARGS="solve|nist|ENSO" -DSTATUS=0 [-DOUT=regex] [-DNOT_OUT=regex]
#         [-DERR=regex] [-DNOT_ERR=regex] [-DJSON="key=value|key/0=value"] -P curv_run.cmake
# JSON booleans read as ON and OFF.
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND ${CURV} ${args} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(shown "curv ${args}\n-- exit status ${status}\n-- stdout:\n${out}\n-- stderr:\n${err}")
if(NOT status STREQUAL STATUS)
  message(FATAL_ERROR "expected exit status ${STATUS}\n${shown}")
endif()
foreach(check OUT ERR)
  string(TOLOWER ${check} stream)
  if(DEFINED ${check} AND NOT "${${stream}}" MATCHES "${${check}}")
    message(FATAL_ERROR "${stream} does not match '${${check}}'\n${shown}")
  endif()
  if(DEFINED NOT_${check} AND "${${stream}}" MATCHES "${NOT_${check}}")
    message(FATAL_ERROR "${stream} matches '${NOT_${check}}'\n${shown}")
  endif()
endforeach()
if(DEFINED JSON)
  string(REPLACE "|" ";" pairs "${JSON}")
  foreach(pair ${pairs})
    string(REGEX REPLACE "=.*" "" key "${pair}")
    string(REGEX REPLACE "^[^=]*=" "" expected "${pair}")
    string(REPLACE "/" ";" path "${key}")  # parameters/8: the ninth entry of parameters
    string(JSON value ERROR_VARIABLE json_error GET "${out}" ${path})
    if(json_error)
      message(FATAL_ERROR "stdout is not a JSON object with '${key}': ${json_error}\n${shown}")
    endif()
    if(NOT value STREQUAL expected)
      message(FATAL_ERROR "JSON ${key} is '${value}', expected '${expected}'\n${shown}")
    endif()
  endforeach()
endif()
