# cmake -DEXE=<lowp> -DKERNEL= -DBITS= -DFRAC= -DROUNDING= -DOVERFLOW= -DOUT=<dir> -DCXX=<c++> -DINCLUDE=<lowp/include>
#       [-DVERILATOR=<verilator>] [-DIVERILOG=<iverilog>] -P check_emit.cmake
# `lowp hls emit` into a fresh OUT, then: the emitted C++ top and test bench
# compile as C++14 without exceptions (-Werror) and the test bench passes;
# the emitted Verilog lints clean (verilator -Wall) and compiles in Icarus.
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND "${EXE}" hls emit --kernel ${KERNEL} --bits ${BITS} --frac ${FRAC} --rounding ${ROUNDING}
                        --overflow ${OVERFLOW} -o "${OUT}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "lowp hls emit exited with ${rc}")
endif()
foreach(f ${KERNEL}_top.hpp ${KERNEL}_top.cpp ${KERNEL}_tb.cpp ${KERNEL}.v README.md)
  if(NOT EXISTS "${OUT}/${f}")
    message(FATAL_ERROR "missing ${OUT}/${f}")
  endif()
endforeach()
execute_process(COMMAND "${CXX}" -std=c++14 -fno-exceptions -fno-rtti -Wall -Wextra -Werror -pedantic -O1
                        -ffp-contract=off -I${INCLUDE} ${KERNEL}_top.cpp ${KERNEL}_tb.cpp -o tb
                WORKING_DIRECTORY "${OUT}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the emitted C++ does not compile:\n${out}${err}")
endif()
execute_process(COMMAND "${OUT}/tb" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "all [0-9]+ checks passed")
  message(FATAL_ERROR "the emitted C-simulation test bench failed (exit ${rc})")
endif()
file(STRINGS "${OUT}/${KERNEL}.v" modules REGEX "^module lowp_${KERNEL}_")
if(VERILATOR)
  foreach(m ${modules})
    string(REGEX REPLACE "^module ([A-Za-z0-9_]+).*" "\\1" top "${m}")
    execute_process(COMMAND "${VERILATOR}" --lint-only -Wall --top-module ${top} ${KERNEL}.v
                    WORKING_DIRECTORY "${OUT}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0 OR NOT "${out}${err}" STREQUAL "")
      message(FATAL_ERROR "verilator --lint-only -Wall ${top}:\n${out}${err}")
    endif()
    message("lint clean: ${top}")
  endforeach()
endif()
if(IVERILOG)
  execute_process(COMMAND "${IVERILOG}" -g2012 -o ${KERNEL}.vvp ${KERNEL}.v
                  WORKING_DIRECTORY "${OUT}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT "${out}${err}" STREQUAL "")
    message(FATAL_ERROR "iverilog -g2012 ${KERNEL}.v:\n${out}${err}")
  endif()
  message("iverilog: compiled cleanly")
endif()
