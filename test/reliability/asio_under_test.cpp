// C2: proves which Asio a leg of the matrix (or a `scripts/test --asio <dir>`
// run) really builds the suite against. CMake passes the flavour it configured
// and the version it read from the version header of the Asio include tree in
// use (ASIO_SHIELD_ASIO_INCLUDE_DIR, or Boost's); the program exits 0 only if the headers the
// tests compile with agree, and asio_shield::net is that Asio's namespace, so
// a leg cannot pass for the standalone (or Boost) one while testing the other.
#include "common/net.hpp"

#include <cstdio>
#include <type_traits>

#if defined(ASIO_SHIELD_STANDALONE)
constexpr bool standalone = true;
constexpr long version = ASIO_VERSION;
constexpr bool net_is_that_asio = std::is_same_v<net::io_context, ::asio::io_context>;
#else
constexpr bool standalone = false;
constexpr long version = BOOST_ASIO_VERSION;
constexpr bool net_is_that_asio = std::is_same_v<net::io_context, ::boost::asio::io_context>;
#endif

int main()
{
    std::printf("C2: suite built against %s %ld.%ld.%ld (expected %s %ld), with %s\n",
                standalone ? "standalone Asio" : "Boost.Asio", version / 100000,
                version / 100 % 1000, version % 100,
                ASIO_SHIELD_EXPECTED_STANDALONE ? "standalone Asio" : "Boost.Asio",
                static_cast<long>(ASIO_SHIELD_EXPECTED_VERSION),
#if defined(__clang__)
                "clang++"
#else
                "g++"
#endif
    );
    const bool ok = standalone == static_cast<bool>(ASIO_SHIELD_EXPECTED_STANDALONE) &&
                    version == ASIO_SHIELD_EXPECTED_VERSION && net_is_that_asio;
    std::puts(ok ? "C2: as configured" : "C2: MISMATCH");
    return ok ? 0 : 1;
}
