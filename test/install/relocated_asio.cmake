# C3: copies the standalone Asio headers of SYSTEM_ASIO into ASIO_COPY (a
# directory in the build tree, on no system include path), adds the marker
# header the consumers look for, then builds the library against the copy in
# WORK_DIR/build and installs it into WORK_DIR/prefix. Earlier consumer builds
# are forgotten, so that each consumer test sees only this install.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${ASIO_COPY})
file(COPY ${SYSTEM_ASIO}/asio ${SYSTEM_ASIO}/asio.hpp DESTINATION ${ASIO_COPY})
file(WRITE ${ASIO_COPY}/asio_shield_relocated_asio_marker.hpp
     "// Marks the copy of Asio that asio_shield's relocated-Asio tests build against.\n")

function(run what)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE status)
    if(NOT status EQUAL 0)
        message(FATAL_ERROR "${what} failed (status ${status})")
    endif()
endfunction()

run("configuring asio_shield against ${ASIO_COPY}"
    ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM} -DCMAKE_BUILD_TYPE=${CONFIG}
    -DCMAKE_CXX_COMPILER=${CXX} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}"
    -DASIO_SHIELD_STANDALONE=ON -DASIO_SHIELD_ASIO_INCLUDE_DIR=${ASIO_COPY}
    -DASIO_SHIELD_BUILD_TESTS=OFF -DASIO_SHIELD_BUILD_EXAMPLES=OFF -DASIO_SHIELD_INSTALL=ON)
run("building asio_shield" ${CMAKE_COMMAND} --build ${WORK_DIR}/build --config ${CONFIG})
run("installing asio_shield"
    ${CMAKE_COMMAND} --install ${WORK_DIR}/build --prefix ${WORK_DIR}/prefix --config ${CONFIG})
