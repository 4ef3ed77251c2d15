# cmake -DEXE=<lowp> -DARGS=<a|b|c> -DRC=<expected exit code> [-DREGEX=<stdout+stderr regex>] -P run_cli.cmake
# Runs EXE with ARGS ('|'-separated), checks the exact exit code and, if
# given, that the combined output matches REGEX.
string(REPLACE "|" ";" _args "${ARGS}")
execute_process(COMMAND "${EXE}" ${_args} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
message("exit code: ${_rc}\nstdout:\n${_out}\nstderr:\n${_err}")
if(NOT "${_rc}" STREQUAL "${RC}")
  message(FATAL_ERROR "expected exit code ${RC}, got ${_rc}")
endif()
if(DEFINED REGEX AND NOT "${_out}${_err}" MATCHES "${REGEX}")
  message(FATAL_ERROR "output does not match: ${REGEX}")
endif()
