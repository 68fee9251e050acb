// What the threaded stress test and its replayable twin share: the request
// types a canceller picks from, and the environment knobs.
#ifndef ASIO_SHIELD_TEST_RELIABILITY_STRESS_SUPPORT_HPP
#define ASIO_SHIELD_TEST_RELIABILITY_STRESS_SUPPORT_HPP

#include "common/net.hpp"

#include <cstdint>
#include <cstdlib>

namespace test {

/// One of terminal, partial, total, terminal|partial and all, by `pick(5)`.
template <typename Worker>
net::cancellation_type_t random_type(Worker& w)
{
    using ctype = net::cancellation_type;
    static constexpr net::cancellation_type_t types[] = {
        ctype::terminal, ctype::partial, ctype::total,
        static_cast<net::cancellation_type_t>(static_cast<unsigned>(ctype::terminal) |
                                              static_cast<unsigned>(ctype::partial)),
        ctype::all};
    return types[w.pick(5)];
}

/// The environment variable `name` as a number, or `fallback`.
inline std::uint64_t env_or(const char* name, std::uint64_t fallback)
{
    const char* value = std::getenv(name);
    return value ? std::strtoull(value, nullptr, 10) : fallback;
}

} // namespace test

#endif
