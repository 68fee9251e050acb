//
// asio_shield.hpp — umbrella header: every public asio_shield header.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_HPP
#define ASIO_SHIELD_HPP

#include <asio_shield/config.hpp>

#include <asio_shield/cancellation_guard.hpp>
#include <asio_shield/grace_budget.hpp>
#include <asio_shield/shield.hpp>
#include <asio_shield/shield_for.hpp>
#include <asio_shield/slot_guard.hpp>
#include <asio_shield/task_group.hpp>

#endif // ASIO_SHIELD_HPP
