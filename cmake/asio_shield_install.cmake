# Install the headers (and, with ASIO_SHIELD_SEPARATE_COMPILATION, the compiled
# library), a CMake package so that find_package(asio_shield CONFIG REQUIRED)
# works for consumers, and a pkg-config file (asio_shield.pc) for other build
# systems. Header-only (P1): the exported target is an INTERFACE one and the
# pkg-config file names no library.
include(CMakePackageConfigHelpers)

install(TARGETS asio_shield EXPORT asio_shield-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT asio_shield-targets NAMESPACE asio_shield::
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/asio_shield)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/asio_shieldConfig.cmake.in
    ${PROJECT_BINARY_DIR}/asio_shieldConfig.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/asio_shield)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/asio_shieldConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/asio_shieldConfig.cmake
              ${PROJECT_BINARY_DIR}/asio_shieldConfigVersion.cmake
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/asio_shield)

# pkg-config: relocatable (the prefix is found from the .pc file's own place,
# so `cmake --install --prefix` anywhere works); the macros and include
# directories the library's target would pass, in flag form.
file(RELATIVE_PATH ASIO_SHIELD_PC_PREFIX_FROM_PCDIR
     /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" ASIO_SHIELD_PC_PREFIX_FROM_PCDIR "${ASIO_SHIELD_PC_PREFIX_FROM_PCDIR}")
set(ASIO_SHIELD_PC_CFLAGS " -DASIO_SHIELD_BUILT_WITH_ASIO_VERSION=${ASIO_SHIELD_ASIO_VERSION}")
if(ASIO_SHIELD_STANDALONE)
    string(APPEND ASIO_SHIELD_PC_CFLAGS " -DASIO_SHIELD_STANDALONE")
    foreach(def IN LISTS ASIO_SHIELD_ASIO_COROUTINE_DEFINITIONS)
        string(APPEND ASIO_SHIELD_PC_CFLAGS " -D${def}")
    endforeach()
    set(asio_shield_pc_dep_includes ${ASIO_SHIELD_ASIO_INCLUDE_DIR})
else()
    # A Boost.Asio tree of its own comes before the rest of Boost.
    set(asio_shield_pc_dep_includes ${ASIO_SHIELD_ASIO_INCLUDE_DIR} ${Boost_INCLUDE_DIRS})
endif()
set(ASIO_SHIELD_PC_LIBS "-pthread")
if(ASIO_SHIELD_SEPARATE_COMPILATION)
    string(APPEND ASIO_SHIELD_PC_CFLAGS " -DASIO_SHIELD_SEPARATE_COMPILATION")
    if(BUILD_SHARED_LIBS)
        string(APPEND ASIO_SHIELD_PC_CFLAGS " -DASIO_SHIELD_SHARED")
    endif()
    set(ASIO_SHIELD_PC_LIBS "-L\${libdir} -lasio_shield -pthread")
endif()
foreach(dir IN LISTS asio_shield_pc_dep_includes)
    if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
        string(APPEND ASIO_SHIELD_PC_CFLAGS " -I${dir}")
    endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/asio_shield.pc.in
               ${PROJECT_BINARY_DIR}/asio_shield.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/asio_shield.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
