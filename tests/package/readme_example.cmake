# Compile and run the first ```cpp block of README.md (types only: C++20,
# lowp's include root, no other dependency). Fails if it does not compile,
# returns nonzero, or the README has no such block.
cmake_minimum_required(VERSION 3.21)
foreach(v README INCLUDE_DIR WORK_DIR CXX_COMPILER)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "readme_example.cmake: -D${v}=... is required")
  endif()
endforeach()

file(READ "${README}" _md)
string(FIND "${_md}" "```cpp\n" _begin)
if(_begin LESS 0)
  message(FATAL_ERROR "${README} has no ```cpp block")
endif()
math(EXPR _begin "${_begin} + 7")
string(SUBSTRING "${_md}" ${_begin} -1 _rest)
string(FIND "${_rest}" "\n```" _end)
if(_end LESS 0)
  message(FATAL_ERROR "${README}: unterminated ```cpp block")
endif()
string(SUBSTRING "${_rest}" 0 ${_end} _code)

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
file(WRITE "${WORK_DIR}/readme_example.cpp" "${_code}\n")
execute_process(COMMAND "${CXX_COMPILER}" -std=c++20 -Wall -Wextra -Werror "-I${INCLUDE_DIR}"
                        readme_example.cpp -o readme_example
                WORKING_DIRECTORY "${WORK_DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "README example does not compile (${WORK_DIR}/readme_example.cpp)")
endif()
execute_process(COMMAND "${WORK_DIR}/readme_example" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "README example exited with ${rc}")
endif()
