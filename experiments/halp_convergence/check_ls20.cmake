# ctest driver: run `halp_convergence --problem ls20 --quick --out OUT` in a
# fresh OUT and check its outputs.
#   -DEXE=<halp_convergence> -DOUT=<dir> -DCHECK=files|shape
# files: every output file exists (and is not empty).
# shape: also, in ls20.csv, HALP-8's last rel_gap <= 1e-10 and LP-SVRG-8's >= 1e-4.
cmake_minimum_required(VERSION 3.21)
foreach(v EXE OUT CHECK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check_ls20.cmake: pass -D${v}=...")
  endif()
endforeach()

file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND "${EXE}" --problem ls20 --quick --out "${OUT}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "halp_convergence exited with ${rc}")
endif()

set(files ls20.csv ls20.png)
foreach(a sgd svrg lp_sgd8 lp_svrg8 lp_svrg16 halp8 halp16)
  list(APPEND files ls20_${a}.h5)
endforeach()
foreach(f IN LISTS files)
  if(NOT EXISTS "${OUT}/${f}")
    message(FATAL_ERROR "missing output ${OUT}/${f}")
  endif()
  file(SIZE "${OUT}/${f}" size)
  if(size EQUAL 0)
    message(FATAL_ERROR "empty output ${OUT}/${f}")
  endif()
endforeach()
if(CHECK STREQUAL "files")
  return()
endif()

# The last rel_gap (8th column) of an algorithm: rows are in epoch order.
function(last_rel_gap algo out_var)
  file(STRINGS "${OUT}/ls20.csv" rows REGEX "^ls20,${algo},")
  list(LENGTH rows n)
  if(n EQUAL 0)
    message(FATAL_ERROR "ls20.csv has no rows for ${algo}")
  endif()
  list(GET rows -1 last)
  string(REPLACE "," ";" cols "${last}")
  list(GET cols 7 gap)
  set(${out_var} "${gap}" PARENT_SCOPE)
endfunction()

# CMake has no floating point: split "d.ddde±XX" (the CSV's %.10e) into
# sign, leading digit and decimal exponent, then compare with 10^k.
function(parse_sci text sign_var lead_var exp_var)
  if(NOT text MATCHES "^(-?)([0-9])\\.([0-9]+)e([-+][0-9]+)$")
    message(FATAL_ERROR "rel_gap '${text}' is not a finite number in %e format")
  endif()
  # Copy the groups first: the next MATCHES overwrites CMAKE_MATCH_<n>.
  set(sign "${CMAKE_MATCH_1}")
  set(lead "${CMAKE_MATCH_2}")
  set(fraction "${CMAKE_MATCH_3}")
  set(exponent "${CMAKE_MATCH_4}")
  # A mantissa above 1.000... counts as a leading digit past 1.
  if(lead STREQUAL "1" AND NOT fraction MATCHES "^0+$")
    set(lead 2)
  endif()
  set(${sign_var} "${sign}" PARENT_SCOPE)
  set(${lead_var} "${lead}" PARENT_SCOPE)
  math(EXPR e "${exponent}")
  set(${exp_var} "${e}" PARENT_SCOPE)
endfunction()

# x <= 10^k
function(at_most x k out_var)
  parse_sci("${x}" s lead e)
  if(s STREQUAL "-" OR lead EQUAL 0 OR e LESS k OR (e EQUAL k AND lead LESS_EQUAL 1))
    set(${out_var} TRUE PARENT_SCOPE)
  else()
    set(${out_var} FALSE PARENT_SCOPE)
  endif()
endfunction()

# x >= 10^k
function(at_least x k out_var)
  parse_sci("${x}" s lead e)
  if(NOT s STREQUAL "-" AND NOT lead EQUAL 0 AND NOT e LESS k)
    set(${out_var} TRUE PARENT_SCOPE)
  else()
    set(${out_var} FALSE PARENT_SCOPE)
  endif()
endfunction()

last_rel_gap(HALP-8 halp)
last_rel_gap(LP-SVRG-8 lpsvrg)
at_most("${halp}" -10 halp_ok)
at_least("${lpsvrg}" -4 lpsvrg_ok)
message("HALP-8 last rel_gap ${halp} (want <= 1e-10), LP-SVRG-8 last rel_gap ${lpsvrg} (want >= 1e-4)")
if(NOT halp_ok)
  message(FATAL_ERROR "HALP-8 did not reach the optimum: last rel_gap ${halp} > 1e-10")
endif()
if(NOT lpsvrg_ok)
  message(FATAL_ERROR "LP-SVRG-8 went below its quantization floor: last rel_gap ${lpsvrg} < 1e-4")
endif()
