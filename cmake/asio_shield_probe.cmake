# C1: compile the coroutine backends' selftests (include/asio_shield/detail/backend/)
# against the Asio in use, so that a mismatching Asio stops the build at
# configure time with one clear message instead of pages of template errors.
#
# asio_shield_check_internals(<result-var> INCLUDE_DIRS <dirs...> [DEFINITIONS <defs...>]
#                             [OPTIONS <compiler options...>])
# sets <result-var> to TRUE/FALSE and ASIO_SHIELD_INTERNALS_MESSAGE on failure.
# The probe compiles with what the build compiles with: try_compile itself
# passes CMAKE_CXX_FLAGS (and CMAKE_CXX_FLAGS_<CONFIG>); the caller passes the
# directory's compile definitions and options and ASIO_SHIELD_PROBE_DEFINITIONS,
# so that user macros such as BOOST_ASIO_ENABLE_HANDLER_TRACKING or
# BOOST_ASIO_DISABLE_CO_AWAIT are probed as they will be built.

set(_asio_shield_probe_dir ${CMAKE_CURRENT_LIST_DIR})

function(asio_shield_check_internals result)
    cmake_parse_arguments(ARG "" "" "INCLUDE_DIRS;DEFINITIONS;OPTIONS" ${ARGN})
    set(defs "")
    foreach(d IN LISTS ARG_DEFINITIONS)
        list(APPEND defs "-D${d}")
    endforeach()
    list(APPEND defs ${ARG_OPTIONS})
    try_compile(ok ${CMAKE_BINARY_DIR}/asio_shield_probe
        SOURCES ${_asio_shield_probe_dir}/internals_probe.cpp
        CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${ARG_INCLUDE_DIRS}"
        COMPILE_DEFINITIONS ${defs}
        CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON
        LINK_LIBRARIES Threads::Threads
        OUTPUT_VARIABLE out)
    if(ok)
        set(${result} TRUE PARENT_SCOPE)
        return()
    endif()
    # Name the Asio version from its own header, found first in INCLUDE_DIRS:
    # the flavour being probed only (one directory may hold both Boost.Asio and
    # standalone Asio), and the number right after the macro name (the line
    # ends in a "// 1.26.0" comment).
    if("ASIO_SHIELD_STANDALONE" IN_LIST ARG_DEFINITIONS)
        set(candidate asio/version.hpp)
    else()
        set(candidate boost/asio/version.hpp)
    endif()
    set(version "")
    foreach(dir IN LISTS ARG_INCLUDE_DIRS)
        if(NOT version AND EXISTS "${dir}/${candidate}")
            file(STRINGS "${dir}/${candidate}" line REGEX "#define (BOOST_)?ASIO_VERSION [0-9]+")
            if(line MATCHES "ASIO_VERSION ([0-9]+)")
                set(version "${CMAKE_MATCH_1}")
            endif()
        endif()
    endforeach()
    if(version)
        math(EXPR major "${version} / 100000")
        math(EXPR minor "${version} / 100 % 1000")
        math(EXPR patch "${version} % 100")
        set(version "${major}.${minor}.${patch}")
    else()
        set(version "(unknown version)")
    endif()
    set(${result} FALSE PARENT_SCOPE)
    set(ASIO_SHIELD_INTERNALS_MESSAGE
        "asio_shield: the Asio internals that cancellation_guard and shield's S3 rely on do not match Asio ${version}. Each backend in include/asio_shield/detail/backend/ lists those it uses; docs/internals.md has the releases tested. Compiler output:\n${out}"
        PARENT_SCOPE)
endfunction()
