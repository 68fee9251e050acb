//
// asio_shield/detail/shield_handler.hpp
//
// The handler wrapper behind `shield` and `shield_for`: it changes exactly one
// association, the cancellation slot, and forwards everything else to the
// wrapped handler (S2). Public Asio API only.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_SHIELD_HANDLER_HPP
#define ASIO_SHIELD_DETAIL_SHIELD_HANDLER_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/detail/cancellation_types.hpp>
#include <asio_shield/detail/relay.hpp>

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

/// E3: a handler left in `handler`'s slot by an earlier, completed operation
/// is removed, as a plain operation would replace it, so that a later emit
/// cannot call it.
template <typename Handler>
void remove_stale_handler(const Handler& handler) noexcept
{
    net::cancellation_slot outer = net::get_associated_cancellation_slot(handler);
    if (outer.is_connected() && outer.has_handler())
        outer.clear();
}

/// Copyable when `Handler` is (E2): the members besides the handler are two
/// slot handles. A copy that is never invoked leaves the relay to the one
/// that is; the relay itself lives in the outer slot. `Mask` is
/// `net::cancellation_type_t` (a mask known at run time, and shield_for) or
/// `every_type` (the specialisation below).
template <typename Handler, typename Mask = net::cancellation_type_t>
class shield_handler
{
public:
    using cancellation_slot_type = net::cancellation_slot;

    /// Every type blocked: the operation sees no connected slot, so it
    /// installs no cancellation handler (S6); a stale handler goes (E3).
    template <typename H>
    explicit shield_handler(H&& handler) : handler_(static_cast<H&&>(handler))
    {
        remove_stale_handler(handler_);
    }

    /// The operation sees the slot of the relay that `install(outer, handler)`
    /// puts in the wrapped handler's slot, when that slot is connected; the
    /// relay lives in the slot's own recycled memory.
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

    /// The slot the operation sees: none, or the relay's.
    cancellation_slot_type get_cancellation_slot() const noexcept { return inner_; }

    // Called as an lvalue by older Asio and by outer binders, so not &&-only.
    template <typename... Args>
    void operator()(Args&&... args)
    {
        // The relay is done (and with it shield_for's timer); remove it so the
        // handler's next operation finds the outer slot free (E3).
        if (inner_.is_connected())
            outer_.clear();
        std::move(handler_)(static_cast<Args&&>(args)...);
    }

    Handler handler_;

private:
    net::cancellation_slot outer_;
    net::cancellation_slot inner_;
};

/// `shield(token)`'s handler: every type blocked at compile time, so the only
/// member is the wrapped handler, and the operation sees no slot (S6).
template <typename Handler>
class shield_handler<Handler, every_type>
{
public:
    using cancellation_slot_type = net::cancellation_slot;

    template <typename H>
    explicit shield_handler(H&& handler) : handler_(static_cast<H&&>(handler))
    {
        remove_stale_handler(handler_);
    }

    cancellation_slot_type get_cancellation_slot() const noexcept
    {
        return cancellation_slot_type();
    }

    template <typename... Args>
    void operator()(Args&&... args)
    {
        std::move(handler_)(static_cast<Args&&>(args)...);
    }

    Handler handler_;
};

template <typename Handler>
shield_handler<std::decay_t<Handler>, every_type> make_shield_handler(Handler&& handler, every_type)
{
    return shield_handler<std::decay_t<Handler>, every_type>(static_cast<Handler&&>(handler));
}

/// `shield(token, mask)`'s wrapper: no slot with every type blocked, a masking
/// relay otherwise (S5).
template <typename Handler>
shield_handler<std::decay_t<Handler>> make_shield_handler(Handler&& handler,
                                                          net::cancellation_type_t blocked)
{
    if (blocks_everything(blocked))
        return shield_handler<std::decay_t<Handler>>(static_cast<Handler&&>(handler));
    return shield_handler<std::decay_t<Handler>>(
        static_cast<Handler&&>(handler), [blocked](net::cancellation_slot outer, const auto&) {
            return outer.template emplace<relay<>>(blocked).slot();
        });
}

/// Forwards the continuation hint of the wrapped handler (the lookup that
/// Asio's own wrappers do, spelled out rather than taken from Asio's detail).
template <typename Handler, typename Mask>
inline bool asio_handler_is_continuation(shield_handler<Handler, Mask>* this_handler)
{
    using net::asio_handler_is_continuation;
    return asio_handler_is_continuation(std::addressof(this_handler->handler_));
}

} // namespace detail
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

/// S2: executor, allocator and (Asio >= 1.27) immediate executor are those of
/// the wrapped handler; the slot comes from the member above.
template <template <typename, typename> class Associator, typename Handler, typename Mask,
          typename DefaultCandidate>
struct asio_shield::net::associator<Associator, asio_shield::detail::shield_handler<Handler, Mask>,
                                    DefaultCandidate> : Associator<Handler, DefaultCandidate>
{
    static typename Associator<Handler, DefaultCandidate>::type
    get(const asio_shield::detail::shield_handler<Handler, Mask>& h) noexcept
    {
        return Associator<Handler, DefaultCandidate>::get(h.handler_);
    }

    static auto get(const asio_shield::detail::shield_handler<Handler, Mask>& h,
                    const DefaultCandidate& c) noexcept
        -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler_, c))
    {
        return Associator<Handler, DefaultCandidate>::get(h.handler_, c);
    }
};

#endif // ASIO_SHIELD_DETAIL_SHIELD_HANDLER_HPP
