# Runs an example for CTest: cmake -DPROGRAM=<exe> [-DARGS=<arg;...>]
# [-DEXPECT=<regex;...>] -P run_example.cmake
# Fails unless the program exits with 0 and its output matches every regex.
execute_process(COMMAND ${PROGRAM} ${ARGS}
    OUTPUT_VARIABLE output ERROR_VARIABLE errors RESULT_VARIABLE status)
message("${output}${errors}")
if(NOT status EQUAL 0)
    message(FATAL_ERROR "${PROGRAM} exited with status ${status}")
endif()
foreach(regex IN LISTS EXPECT)
    if(NOT output MATCHES "${regex}")
        message(FATAL_ERROR "the output does not match \"${regex}\"")
    endif()
endforeach()
