// Every sequence of cancellation requests: up to `max_requests` requests, each
// of the seven non-empty combinations of terminal, partial and total, each
// placed at one of a coroutine's or an operation's points. A sequence lists its
// requests in the order they are made, so the points never go back.
#ifndef ASIO_SHIELD_TEST_EXHAUSTIVE_ENUMERATE_HPP
#define ASIO_SHIELD_TEST_EXHAUSTIVE_ENUMERATE_HPP

#include "common/net.hpp"

#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

namespace test::exhaustive {

using ct = net::cancellation_type;

/// Sequences of up to four requests; fewer where every handler costs much
/// more: three under the sanitizers (ASIO_SHIELD_TEST_SANITIZED, set by the
/// build), two with Asio's handler tracking, which writes a line per handler.
#if defined(BOOST_ASIO_ENABLE_HANDLER_TRACKING) || defined(ASIO_ENABLE_HANDLER_TRACKING)
inline constexpr std::size_t max_requests = 2;
#elif defined(ASIO_SHIELD_TEST_SANITIZED)
inline constexpr std::size_t max_requests = 3;
#else
inline constexpr std::size_t max_requests = 4;
#endif

/// terminal, partial and total: the bits a request may carry.
inline constexpr unsigned named_bits = static_cast<unsigned>(ct::terminal) |
                                       static_cast<unsigned>(ct::partial) |
                                       static_cast<unsigned>(ct::total);

/// The seven non-empty combinations of the named bits.
inline std::vector<net::cancellation_type_t> request_types()
{
    std::vector<net::cancellation_type_t> types;
    // Bits 0, 1 and 2 of the counter stand for terminal, partial and total.
    for (unsigned bits = 1; bits < 8; ++bits)
    {
        unsigned value = 0;
        if (bits & 1u)
            value |= static_cast<unsigned>(ct::terminal);
        if (bits & 2u)
            value |= static_cast<unsigned>(ct::partial);
        if (bits & 4u)
            value |= static_cast<unsigned>(ct::total);
        types.push_back(static_cast<net::cancellation_type_t>(value));
    }
    return types;
}

struct request
{
    std::size_t point;
    net::cancellation_type_t type;
};

using sequence = std::vector<request>;

/// Calls `visit(seq)` for every sequence of at most `max_requests` requests
/// over the points in `points` (in their order), the empty one included.
/// Returns how many there were.
template <typename Visit>
std::size_t for_each_sequence(const std::vector<std::size_t>& points, std::size_t max_requests,
                              Visit&& visit)
{
    const std::vector<net::cancellation_type_t> types = request_types();
    std::size_t count = 0;
    sequence seq;
    // Depth-first: each sequence is visited once, then extended by one request
    // at its last point or a later one.
    auto extend = [&](auto& self, std::size_t first_point_index) -> void {
        ++count;
        visit(static_cast<const sequence&>(seq));
        if (seq.size() == max_requests)
            return;
        for (std::size_t p = first_point_index; p < points.size(); ++p)
        {
            for (auto type : types)
            {
                seq.push_back({points[p], type});
                self(self, p);
                seq.pop_back();
            }
        }
    };
    extend(extend, 0);
    return count;
}

/// How many sequences for_each_sequence visits: the sum over k <= max of
/// 7^k * C(points + k - 1, k).
inline std::size_t sequence_count(std::size_t points, std::size_t max_requests)
{
    std::size_t total = 0;
    for (std::size_t k = 0; k <= max_requests; ++k)
    {
        std::size_t combinations = 1; // C(points + k - 1, k), exactly at each step
        for (std::size_t i = 1; i <= k; ++i)
            combinations = combinations * (points + i - 1) / i;
        std::size_t power = 1;
        for (std::size_t i = 0; i < k; ++i)
            power *= 7;
        total += power * combinations;
    }
    return total;
}

inline std::string describe(const sequence& seq, const char* const* point_names)
{
    std::ostringstream os;
    os << '[';
    for (std::size_t i = 0; i < seq.size(); ++i)
        os << (i ? ", " : "") << static_cast<unsigned>(seq[i].type) << " at "
           << point_names[seq[i].point];
    os << ']';
    return os.str();
}

} // namespace test::exhaustive

#endif
