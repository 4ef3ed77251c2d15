# lowp_dev_flags(<target>): warnings-as-errors (and sanitizers, when
# LOWP_SANITIZE is set) for lowp's own targets. Applied as PRIVATE compile
# options, so nothing here reaches the installed interface or the export set.
function(lowp_dev_flags tgt)
  target_compile_options(${tgt} PRIVATE
    -Wall -Wextra -Werror
    # Bit-exact SIMD vs scalar needs the compiler not to fuse a*b+c on its own.
    -ffp-contract=off)
  if(LOWP_SANITIZE)
    target_compile_options(${tgt} PRIVATE -fsanitize=${LOWP_SANITIZE} -fno-omit-frame-pointer
                           -fno-sanitize-recover=all)
    target_link_options(${tgt} PRIVATE -fsanitize=${LOWP_SANITIZE})
  endif()
endfunction()
