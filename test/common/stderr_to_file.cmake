# Runs PROGRAM with ARGS (;-separated), its stdout passed through and its
# stderr written to STDERR_FILE. On failure it prints that file without Asio's
# handler-tracking lines ("@asio|..."), so that what went wrong stays visible.
execute_process(COMMAND ${PROGRAM} ${ARGS} ERROR_FILE ${STDERR_FILE} RESULT_VARIABLE status)
file(SIZE ${STDERR_FILE} size)
message("stderr (${size} bytes) in ${STDERR_FILE}")
if(NOT status EQUAL 0)
    file(STRINGS ${STDERR_FILE} lines)
    list(FILTER lines EXCLUDE REGEX "^@asio\\|")
    list(JOIN lines "\n" text)
    message("stderr without the handler-tracking lines:\n${text}")
    message(FATAL_ERROR "${PROGRAM} failed (status ${status})")
endif()
