# Runs PROGRAM twice: `PROGRAM ordered` must exit 0, and `PROGRAM misordered`
# must fail with a diagnostic matching EXPECT (an assertion of the library).
# Programs built with NDEBUG say so and the test reports a skip.
execute_process(COMMAND ${PROGRAM} ordered RESULT_VARIABLE status OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
message("${out}${err}")
if(out MATCHES "assertions compiled out")
    message("SKIPPED: assertions compiled out")
    return()
endif()
if(NOT status EQUAL 0)
    message(FATAL_ERROR "control run failed (status ${status})")
endif()
execute_process(COMMAND ${PROGRAM} misordered RESULT_VARIABLE status OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
message("${out}${err}")
if(status EQUAL 0)
    message(FATAL_ERROR "misuse was not caught: the program exited 0")
endif()
if(NOT err MATCHES "${EXPECT}")
    message(FATAL_ERROR "misuse stopped the program, but not with the expected diagnostic: ${EXPECT}")
endif()
message("misuse caught as expected")
