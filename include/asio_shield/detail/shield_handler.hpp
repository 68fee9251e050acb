//
// asio_shield/detail/shield_handler.hpp
//
// The handler wrapper behind `shield` and `shield_for`: it changes exactly one
// association, the cancellation slot, and forwards everything else to the
// wrapped handler.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_SHIELD_HANDLER_HPP
#define ASIO_SHIELD_DETAIL_SHIELD_HANDLER_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/cancellation_types.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associator.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/handler_continuation_hook.hpp>
#else
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/handler_continuation_hook.hpp>
#endif

#include <memory>
#include <type_traits>
#include <utility>

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace detail {

/// Installed in the outer slot for a partial mask (S5): forwards what is left
/// of a request once the blocked bits are removed, or nothing when no named
/// bit is left. Lives in the slot's own recycled memory, like Asio's filters.
class mask_proxy
{
public:
    explicit mask_proxy(net::cancellation_type_t blocked) noexcept : blocked_(blocked) {}

    void operator()(net::cancellation_type_t type)
    {
        if (uncovered(type, blocked_) != net::cancellation_type::none)
            signal_.emit(static_cast<net::cancellation_type_t>(static_cast<unsigned>(type) &
                                                               ~static_cast<unsigned>(blocked_)));
    }

    net::cancellation_slot slot() noexcept { return signal_.slot(); }

private:
    net::cancellation_signal signal_;
    net::cancellation_type_t blocked_;
};

template <typename Handler>
class shield_handler
{
public:
    using cancellation_slot_type = net::cancellation_slot;

    /// The operation sees no connected slot, so it installs no cancellation
    /// handler (S6).
    template <typename H>
    explicit shield_handler(H&& handler) : handler_(static_cast<H&&>(handler))
    {}

    /// The operation sees the slot of a proxy that `install(outer, handler)`
    /// puts in the wrapped handler's slot, when that slot is connected; the
    /// proxy lives in the slot's own recycled memory.
    template <typename H, typename Install>
    shield_handler(H&& handler, Install&& install) : handler_(static_cast<H&&>(handler))
    {
        net::cancellation_slot outer = net::get_associated_cancellation_slot(handler_);
        if (outer.is_connected())
        {
            outer_ = outer;
            inner_ = install(outer, static_cast<const Handler&>(handler_));
        }
    }

    shield_handler(shield_handler&& other) noexcept(std::is_nothrow_move_constructible_v<Handler>)
        : handler_(std::move(other.handler_)), outer_(other.outer_), inner_(other.inner_)
    {}

    /// The slot the operation sees: none, or the proxy's.
    cancellation_slot_type get_cancellation_slot() const noexcept { return inner_; }

    // Called as an lvalue by older Asio and by outer binders, so not &&-only.
    template <typename... Args>
    void operator()(Args&&... args)
    {
        static_assert(std::is_invocable_v<Handler, Args...>,
                      "asio_shield::shield(token) / shield_for(duration, token): the wrapped token "
                      "is not a completion handler for this operation's completion signature.");
        // The proxy is done (and with it shield_for's timer); remove it so the
        // handler's next operation finds the outer slot free.
        if (inner_.is_connected())
            outer_.clear();
        std::move(handler_)(static_cast<Args&&>(args)...);
    }

    Handler handler_;

private:
    net::cancellation_slot outer_;
    net::cancellation_slot inner_;
};

/// shield's wrapper: no slot with every type blocked, a mask proxy otherwise (S5).
template <typename Handler>
shield_handler<std::decay_t<Handler>> make_shield_handler(Handler&& handler,
                                                          net::cancellation_type_t blocked)
{
    if (blocks_everything(blocked))
        return shield_handler<std::decay_t<Handler>>(static_cast<Handler&&>(handler));
    return shield_handler<std::decay_t<Handler>>(
        static_cast<Handler&&>(handler), [blocked](net::cancellation_slot outer, const auto&) {
            return outer.template emplace<mask_proxy>(blocked).slot();
        });
}

/// Forwards the continuation hint of the wrapped handler (the lookup that
/// Asio's own wrappers do, spelled out rather than taken from Asio's detail).
template <typename Handler>
inline bool asio_handler_is_continuation(shield_handler<Handler>* this_handler)
{
    using net::asio_handler_is_continuation;
    return asio_handler_is_continuation(std::addressof(this_handler->handler_));
}

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

/// S2: executor, allocator and (Asio >= 1.27) immediate executor are those of
/// the wrapped handler; the slot comes from the member above.
template <template <typename, typename> class Associator, typename Handler,
          typename DefaultCandidate>
struct asio_shield::net::associator<Associator, asio_shield::detail::shield_handler<Handler>,
                                    DefaultCandidate> : Associator<Handler, DefaultCandidate>
{
    static typename Associator<Handler, DefaultCandidate>::type
    get(const asio_shield::detail::shield_handler<Handler>& h) noexcept
    {
        return Associator<Handler, DefaultCandidate>::get(h.handler_);
    }

    static auto get(const asio_shield::detail::shield_handler<Handler>& h,
                    const DefaultCandidate& c) noexcept
        -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler_, c))
    {
        return Associator<Handler, DefaultCandidate>::get(h.handler_, c);
    }
};

#endif // ASIO_SHIELD_DETAIL_SHIELD_HANDLER_HPP
