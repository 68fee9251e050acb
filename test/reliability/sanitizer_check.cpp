// R3: proves that a sanitizer leg really is one. Built only when
// ASIO_SHIELD_SANITIZE is set; exits 0 only if every sanitizer it names was
// compiled in, so a misconfigured leg cannot pass for a sanitized one.
#include <cstdio>
#include <cstring>

#if defined(__has_feature)
#define ASIO_SHIELD_HAS_FEATURE(x) __has_feature(x)
#else
#define ASIO_SHIELD_HAS_FEATURE(x) 0
#endif

#if defined(__SANITIZE_ADDRESS__) || ASIO_SHIELD_HAS_FEATURE(address_sanitizer)
constexpr bool address = true;
#else
constexpr bool address = false;
#endif

#if defined(__SANITIZE_THREAD__) || ASIO_SHIELD_HAS_FEATURE(thread_sanitizer)
constexpr bool thread = true;
#else
constexpr bool thread = false;
#endif

int main(int argc, char** argv)
{
    bool ok = true;
    for (int i = 1; i < argc; ++i)
    {
        // UBSan has no reliable compile-time macro; the leg's flags name it
        // together with ASan, which is checked.
        const bool present = std::strcmp(argv[i], "address") == 0     ? address
                             : std::strcmp(argv[i], "thread") == 0    ? thread
                             : std::strcmp(argv[i], "undefined") == 0 ? true
                                                                      : false;
        std::printf("%s: %s\n", argv[i], present ? "compiled in" : "MISSING");
        ok = ok && present;
    }
    return ok ? 0 : 1;
}
