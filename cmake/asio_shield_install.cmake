# Install the headers, the compiled library and a CMake package so that
# find_package(asio_shield CONFIG REQUIRED) works for consumers.
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
