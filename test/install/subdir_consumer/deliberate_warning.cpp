// C3: a file of the parent project that warns on purpose, so that the parent's
// build fails if asio_shield's -Werror reaches it.
#include <asio_shield.hpp>

#warning "deliberate warning: asio_shield must not turn it into an error"

int asio_shield_deliberate_warning()
{
    return 0;
}
