# Debian's xsimd 8.1 package exports `xsimd` with INTERFACE_LINK_LIBRARIES
# "xtl" but its config never looks for xtl, so every consumer fails to link
# with "cannot find -lxtl". xtl is only used by xsimd's optional xtl::xcomplex
# support, which lowp does not use: drop the dangling name unless a real xtl
# target is available. Included by lowp's own build and by lowpConfig.cmake.
if(TARGET xsimd AND NOT TARGET xtl)
  find_package(xtl QUIET)
  if(NOT TARGET xtl)
    get_target_property(_lowp_xsimd_libs xsimd INTERFACE_LINK_LIBRARIES)
    if(_lowp_xsimd_libs)
      list(REMOVE_ITEM _lowp_xsimd_libs xtl)
      set_target_properties(xsimd PROPERTIES INTERFACE_LINK_LIBRARIES "${_lowp_xsimd_libs}")
    endif()
    unset(_lowp_xsimd_libs)
  endif()
endif()
