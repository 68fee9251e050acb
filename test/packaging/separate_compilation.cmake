# P2: one case of separate compilation, with nothing but the compiler.
#   MODE=library  compiles SOURCE (asio_shield/src.hpp) with FLAGS, LIB_FLAGS
#                 and ASIO_SHIELD_SEPARATE_COMPILATION into LIBRARY (an archive)
#   MODE=link     compiles PROGRAM with FLAGS, PROGRAM_FLAGS and the macro,
#                 links it with LIBRARY and runs it: it must print "ok"
#   MODE=mismatch the same program must compile, and its link must fail on
#                 asio_shield's symbols alone (every undefined reference names
#                 the asio_shield:: namespace): the library's pin, nothing else
# FLAGS, LIB_FLAGS, PROGRAM_FLAGS: lists separated by '|'. LAUNCHER: e.g. ccache.
foreach(list FLAGS LIB_FLAGS PROGRAM_FLAGS)
    string(REPLACE "|" ";" ${list} "${${list}}")
endforeach()
function(run what)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT status EQUAL 0)
        message(FATAL_ERROR "${what} failed (status ${status}):\n${out}")
    endif()
    set(run_output "${out}" PARENT_SCOPE)
endfunction()

file(MAKE_DIRECTORY ${WORK_DIR})
if(MODE STREQUAL "library")
    run("compiling ${SOURCE}" ${LAUNCHER} ${CXX} ${FLAGS} ${LIB_FLAGS}
        -DASIO_SHIELD_SEPARATE_COMPILATION -c ${SOURCE} -o ${WORK_DIR}/asio_shield.o)
    file(REMOVE ${LIBRARY})
    run("archiving ${LIBRARY}" ${AR} rcs ${LIBRARY} ${WORK_DIR}/asio_shield.o)
    return()
endif()

run("compiling ${PROGRAM} with ${PROGRAM_FLAGS}" ${LAUNCHER} ${CXX} ${FLAGS} ${PROGRAM_FLAGS}
    -DASIO_SHIELD_SEPARATE_COMPILATION -c ${PROGRAM} -o ${WORK_DIR}/program.o)
execute_process(COMMAND ${CXX} ${WORK_DIR}/program.o ${LIBRARY} -pthread -o ${WORK_DIR}/program
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(MODE STREQUAL "link")
    if(NOT status EQUAL 0)
        message(FATAL_ERROR "a program with the library's settings does not link:\n${out}")
    endif()
    run("running the program" ${WORK_DIR}/program)
    if(NOT run_output MATCHES ": ok")
        message(FATAL_ERROR "the program linked with the library did not succeed:\n${run_output}")
    endif()
    message("linked and ran: ${run_output}")
elseif(MODE STREQUAL "mismatch")
    if(status EQUAL 0)
        message(FATAL_ERROR "a program built with ${PROGRAM_FLAGS} linked with ${LIBRARY}, "
                            "built with other settings; the pin did not hold")
    endif()
    # GNU ld: undefined reference to `sym'; lld: undefined symbol: sym
    string(REGEX MATCHALL "undefined (reference to `|symbol: )[^'\n]*" undefined "${out}")
    if(NOT undefined)
        message(FATAL_ERROR "the link failed, but not on undefined symbols:\n${out}")
    endif()
    # Under ASIO_NO_EXCEPTIONS, newer Asio releases (1.38.2, for one) leave
    # their throw_exception() for the program to define: that one may be
    # missing too, beside asio_shield's.
    set(pinned "")
    foreach(symbol IN LISTS undefined)
        if(symbol MATCHES "(`|: )asio_shield::[a-z0-9_]+_separate")
            list(APPEND pinned "${symbol}")
        elseif(NOT symbol MATCHES "(`|: )(void )?(boost::)?asio::detail::throw_exception<")
            message(FATAL_ERROR "the link failed on another symbol than asio_shield's: ${symbol}\n${out}")
        endif()
    endforeach()
    if(NOT pinned)
        message(FATAL_ERROR "the link failed, but on none of asio_shield's symbols:\n${out}")
    endif()
    list(GET pinned 0 first)
    message("failed to link as it must: ${first}")
else()
    message(FATAL_ERROR "MODE must be library, link or mismatch")
endif()
