//
// asio_shield/src.hpp
//
// Separate compilation (P2): compile this header in exactly one source file of
// a program in which every translation unit defines
// ASIO_SHIELD_SEPARATE_COMPILATION, as Asio's asio/impl/src.hpp:
//
//     // asio_shield.cpp
//     #include <asio_shield/src.hpp>
//
// The other translation units then only declare the guard's out-of-line
// functions; by default (no macro) the headers define them `inline` and there
// is nothing to compile (P1). The settings this file is compiled with are
// named in the ABI namespace (config.hpp): a program compiled with others
// fails to link.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_SRC_HPP
#define ASIO_SHIELD_SRC_HPP

#if !defined(ASIO_SHIELD_SEPARATE_COMPILATION)
#error                                                                                             \
    "asio_shield/src.hpp is compiled only with ASIO_SHIELD_SEPARATE_COMPILATION defined; without it the library is header-only and needs no source file"
#endif

#if !defined(ASIO_SHIELD_SOURCE)
#define ASIO_SHIELD_SOURCE 1
#endif

#include <asio_shield/cancellation_guard.hpp>

#include <asio_shield/impl/cancellation_guard.ipp>

#endif // ASIO_SHIELD_SRC_HPP
