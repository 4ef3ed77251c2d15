# Finds Python 3 (interpreter + module development files) and pybind11 for the
# `lowp` Python module; sets LOWP_PYTHON_DEPS_FOUND. Included by the top-level
# CMakeLists.txt so that LOWP_BUILD_PYTHON can default to "found".
#
# The interpreter defaults to the system /usr/bin/python3 (Debian's, with
# python3-numpy): on the dev machines a pyenv shim comes first on PATH, and a
# module built for its Python would not load in the system one CTest uses.
# -DPython_EXECUTABLE=... (or Python3_EXECUTABLE / PYTHON_EXECUTABLE) overrides.
if(NOT DEFINED Python_EXECUTABLE)
  if(DEFINED Python3_EXECUTABLE)
    set(Python_EXECUTABLE "${Python3_EXECUTABLE}")
  elseif(DEFINED PYTHON_EXECUTABLE)
    set(Python_EXECUTABLE "${PYTHON_EXECUTABLE}")
  elseif(EXISTS /usr/bin/python3)
    set(Python_EXECUTABLE /usr/bin/python3)
  endif()
endif()
find_package(Python 3.7 COMPONENTS Interpreter Development.Module QUIET)
set(LOWP_PYTHON_DEPS_FOUND OFF)
if(Python_FOUND)
  # Python_FOUND makes pybind11 use FindPython (its "new mode") with the interpreter above.
  find_package(pybind11 2.6 CONFIG QUIET)
  if(pybind11_FOUND)
    set(LOWP_PYTHON_DEPS_FOUND ON)
  endif()
endif()
