# cmake -DEXE=<lowp> -DDATA=<libsvm file> -DDIR=<scratch dir> -P resume_cli.cmake
# A run checkpointed at epoch 2 and resumed to epoch 5 must print the same
# final objective (to all 12 digits) as a run straight to epoch 5, and its
# run log must hold all 6 trace rows.
set(_common halp --data ${DATA} --loss least_squares --l2 0.1 --seed 9 --quiet)
execute_process(COMMAND ${EXE} ${_common} --epochs 5 RESULT_VARIABLE rc1 OUTPUT_VARIABLE straight ERROR_VARIABLE e1)
execute_process(COMMAND ${EXE} ${_common} --epochs 2 --checkpoint ${DIR}/ck.h5
                RESULT_VARIABLE rc2 OUTPUT_VARIABLE o2 ERROR_VARIABLE e2)
execute_process(COMMAND ${EXE} ${_common} --epochs 5 --resume ${DIR}/ck.h5 --out ${DIR}/resumed.h5
                RESULT_VARIABLE rc3 OUTPUT_VARIABLE resumed ERROR_VARIABLE e3)
message("straight: ${straight}${e1}\nresumed: ${resumed}${e3}")
if(NOT rc1 EQUAL 0 OR NOT rc2 EQUAL 0 OR NOT rc3 EQUAL 0)
  message(FATAL_ERROR "exit codes ${rc1} ${rc2} ${rc3}: ${e2}")
endif()
string(REGEX MATCH "f = [^,]+" f1 "${straight}")
string(REGEX MATCH "f = [^,]+" f3 "${resumed}")
if(f1 STREQUAL "" OR NOT f1 STREQUAL f3)
  message(FATAL_ERROR "resumed run ended at '${f3}', the straight run at '${f1}'")
endif()
execute_process(COMMAND ${EXE} run info ${DIR}/resumed.h5 --all RESULT_VARIABLE rc4 OUTPUT_VARIABLE info)
string(REGEX MATCHALL "\n *[0-5] +[0-9.e+-]+" rows "${info}")
list(LENGTH rows n)
if(NOT rc4 EQUAL 0 OR NOT n EQUAL 6)
  message(FATAL_ERROR "expected 6 trace rows in the resumed run log, found ${n}:\n${info}")
endif()
