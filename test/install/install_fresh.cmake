# Installs the build in BUILD_DIR into an emptied PREFIX and forgets any earlier
# consumer build, so that the find_package test sees only this install.
file(REMOVE_RECURSE ${PREFIX} ${CONSUMER_BUILD_DIR})
set(config_option "")
if(CONFIG)
    set(config_option --config ${CONFIG})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX} ${config_option}
    RESULT_VARIABLE status)
if(NOT status EQUAL 0)
    message(FATAL_ERROR "cmake --install ${BUILD_DIR} failed (status ${status})")
endif()
