# Driven by add_test (see CMakeLists.txt): configure, build and run the
# consumer project against this lowp build, from a clean binary directory.
#   MODE=find_package     cmake --install the parent build into WORK_DIR/prefix,
#                         check the installed config, then find_package(lowp)
#                         with nothing but CMAKE_PREFIX_PATH (and the compiler).
#   MODE=add_subdirectory consumer add_subdirectory()s the lowp source tree.
cmake_minimum_required(VERSION 3.21)

foreach(v MODE LOWP_SOURCE_DIR LOWP_BINARY_DIR CONSUMER_DIR WORK_DIR CXX_COMPILER C_COMPILER GENERATOR)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${v}=... is required")
  endif()
endforeach()
if(NOT DEFINED JOBS OR JOBS STREQUAL "")
  set(JOBS 2)
endif()

function(run)
  string(REPLACE ";" " " _pretty "${ARGN}")
  message(STATUS "+ ${_pretty}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${_pretty}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(_bin "${WORK_DIR}/build")
set(_cfg_args "")
if(BUILD_TYPE)
  set(_cfg_args --config ${BUILD_TYPE})
endif()

set(_configure "${CMAKE_COMMAND}" -S "${CONSUMER_DIR}" -B "${_bin}" -G "${GENERATOR}"
               "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
if(BUILD_TYPE)
  list(APPEND _configure "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
endif()

if(MODE STREQUAL "find_package")
  set(_prefix "${WORK_DIR}/prefix")
  run("${CMAKE_COMMAND}" --install "${LOWP_BINARY_DIR}" --prefix "${_prefix}" ${_cfg_args})

  # The installed config must find every dependency of lowp::lowp's interface
  # (otherwise: "target Eigen3::Eigen was not found", DESIGN.md E2).
  file(GLOB_RECURSE _configs "${_prefix}/*/lowpConfig.cmake")
  list(LENGTH _configs _n)
  if(NOT _n EQUAL 1)
    message(FATAL_ERROR "expected one installed lowpConfig.cmake, found: ${_configs}")
  endif()
  file(READ "${_configs}" _cfg)
  foreach(dep Eigen3 xsimd Threads)
    if(NOT _cfg MATCHES "\nfind_dependency\\(${dep}[ )]")
      message(FATAL_ERROR "${_configs} does not call find_dependency(${dep} ...)")
    endif()
  endforeach()
  get_filename_component(_cfgdir "${_configs}" DIRECTORY)
  foreach(f lowpConfigVersion.cmake lowpTargets.cmake)
    if(NOT EXISTS "${_cfgdir}/${f}")
      message(FATAL_ERROR "missing installed ${_cfgdir}/${f}")
    endif()
  endforeach()
  foreach(h lowp/types.hpp lowp/kernels/scalar.hpp lowp/kernels/dispatch.hpp)
    if(NOT EXISTS "${_prefix}/include/${h}")
      message(FATAL_ERROR "missing installed header include/${h}")
    endif()
  endforeach()
  # Dev-only flags (lowp_dev_flags) must not leak into the exported interface.
  file(GLOB _targets "${_cfgdir}/lowpTargets*.cmake")
  foreach(t ${_targets})
    file(READ "${t}" _txt)
    if(_txt MATCHES "-Werror|-fsanitize|-ffp-contract")
      message(FATAL_ERROR "${t} exports a dev-only flag: ${CMAKE_MATCH_0}")
    endif()
  endforeach()

  list(APPEND _configure "-DCMAKE_PREFIX_PATH=${_prefix}")
  # A sanitized parent build installs a sanitized static lowp_kernels; its
  # consumers must link the sanitizer runtime.
  if(SANITIZE)
    list(APPEND _configure "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE}")
  endif()
elseif(MODE STREQUAL "add_subdirectory")
  list(APPEND _configure "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DLOWP_SOURCE_DIR=${LOWP_SOURCE_DIR}")
else()
  message(FATAL_ERROR "unknown MODE=${MODE}")
endif()

run(${_configure})
if(MODE STREQUAL "find_package")
  # It must have used the prefix we just installed, not some other lowp.
  file(STRINGS "${_bin}/CMakeCache.txt" _dir REGEX "^lowp_DIR:")
  string(REGEX REPLACE "^lowp_DIR:[A-Z]+=" "" _dir "${_dir}")
  string(FIND "${_dir}" "${_prefix}/" _at)
  if(NOT _at EQUAL 0)
    message(FATAL_ERROR "consumer found lowp in '${_dir}', not under ${_prefix}")
  endif()
endif()
run("${CMAKE_COMMAND}" --build "${_bin}" ${_cfg_args} --parallel ${JOBS})
set(_exe "${_bin}/lowp_consumer")
if(NOT EXISTS "${_exe}" AND BUILD_TYPE AND EXISTS "${_bin}/${BUILD_TYPE}/lowp_consumer")
  set(_exe "${_bin}/${BUILD_TYPE}/lowp_consumer")  # multi-config generators
endif()
run("${_exe}")
