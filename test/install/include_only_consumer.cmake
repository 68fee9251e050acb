# P1: builds and runs consumer/main.cpp with nothing but the compiler, the
# installed include directory (and Asio's, with the flags of its flavour):
# no library named, none linked. The install in PREFIX must hold no library
# file of asio_shield either.
file(GLOB_RECURSE libraries ${PREFIX}/*asio_shield*.a ${PREFIX}/*asio_shield*.so*
                            ${PREFIX}/*asio_shield*.lib ${PREFIX}/*asio_shield*.dylib)
if(libraries)
    message(FATAL_ERROR "the header-only install holds a library: ${libraries}")
endif()
separate_arguments(extra UNIX_COMMAND "${EXTRA_FLAGS}")
file(MAKE_DIRECTORY ${OUT_DIR})
execute_process(COMMAND ${CXX} -std=c++20 ${extra} -I${PREFIX}/include
                        "-DASIO_SHIELD_EXPECTED_VERSION=\"${VERSION}\""
                        ${SOURCE} -o ${OUT_DIR}/asio_shield_include_only_consumer -pthread
    RESULT_VARIABLE status)
if(NOT status EQUAL 0)
    message(FATAL_ERROR "compiling the consumer with only the include path failed")
endif()
execute_process(COMMAND ${OUT_DIR}/asio_shield_include_only_consumer RESULT_VARIABLE status)
if(NOT status EQUAL 0)
    message(FATAL_ERROR "the consumer built with only the include path failed (status ${status})")
endif()
