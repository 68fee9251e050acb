# Builds and runs consumer/main.cpp with nothing but the compiler and the flags
# `pkg-config --cflags --libs asio_shield` gives for the install in PREFIX.
set(ENV{PKG_CONFIG_PATH} "${PC_DIR}")
execute_process(COMMAND ${PKG_CONFIG} --modversion asio_shield
    OUTPUT_VARIABLE version RESULT_VARIABLE status OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT status EQUAL 0)
    message(FATAL_ERROR "pkg-config does not find asio_shield in ${PC_DIR}")
endif()
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs asio_shield
    OUTPUT_VARIABLE flags RESULT_VARIABLE status OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT status EQUAL 0)
    message(FATAL_ERROR "pkg-config --cflags --libs asio_shield failed")
endif()
message("pkg-config asio_shield ${version}: ${flags}")
# P1: a header-only package names no library to link.
if(EXPECT_HEADER_ONLY AND flags MATCHES "-lasio_shield")
    message(FATAL_ERROR "the header-only package's pkg-config file names a library: ${flags}")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
separate_arguments(extra UNIX_COMMAND "${EXTRA_FLAGS}")
file(MAKE_DIRECTORY ${OUT_DIR})
execute_process(COMMAND ${CXX} -std=c++20 ${extra} "-DASIO_SHIELD_EXPECTED_VERSION=\"${version}\""
                        ${SOURCE} -o ${OUT_DIR}/asio_shield_pc_consumer ${flags}
    RESULT_VARIABLE status)
if(NOT status EQUAL 0)
    message(FATAL_ERROR "compiling the consumer with the pkg-config flags failed")
endif()
execute_process(COMMAND ${OUT_DIR}/asio_shield_pc_consumer RESULT_VARIABLE status)
if(NOT status EQUAL 0)
    message(FATAL_ERROR "the consumer built with pkg-config flags failed (status ${status})")
endif()
