//
// asio_shield/version.hpp
//
// The library's version: the one place it is written. CMake reads it for the
// package version, the shared library's version and the pkg-config file.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_VERSION_HPP
#define ASIO_SHIELD_VERSION_HPP

#define ASIO_SHIELD_VERSION_MAJOR 0
#define ASIO_SHIELD_VERSION_MINOR 1
#define ASIO_SHIELD_VERSION_PATCH 0

/// MAJOR * 100000 + MINOR * 100 + PATCH, like BOOST_ASIO_VERSION.
#define ASIO_SHIELD_VERSION                                                                        \
    (ASIO_SHIELD_VERSION_MAJOR * 100000 + ASIO_SHIELD_VERSION_MINOR * 100 +                        \
     ASIO_SHIELD_VERSION_PATCH)

#define ASIO_SHIELD_VERSION_STRINGIZE_(x) #x
#define ASIO_SHIELD_VERSION_STRINGIZE(x) ASIO_SHIELD_VERSION_STRINGIZE_(x)
/// "MAJOR.MINOR.PATCH".
#define ASIO_SHIELD_VERSION_STRING                                                                 \
    ASIO_SHIELD_VERSION_STRINGIZE(ASIO_SHIELD_VERSION_MAJOR)                                       \
    "." ASIO_SHIELD_VERSION_STRINGIZE(                                                             \
        ASIO_SHIELD_VERSION_MINOR) "." ASIO_SHIELD_VERSION_STRINGIZE(ASIO_SHIELD_VERSION_PATCH)

#endif // ASIO_SHIELD_VERSION_HPP
