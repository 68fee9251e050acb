//
// src/asio_shield.cpp
//
// The compiled library of the CMake option ASIO_SHIELD_SEPARATE_COMPILATION
// (P2); not used by the default, header-only package (P1).
//
// Distributed under the Boost Software License, Version 1.0.
//

#include <asio_shield/src.hpp>
