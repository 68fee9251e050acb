#!/usr/bin/env bash
# The layers of include/ (docs/internals.md, "Two layers"): public headers and
# their impl/ files include detail/ headers, never the other way round, and no
# header includes itself through others.
#   1. The graph of `#include <asio_shield...>` lines under include/ has no
#      cycle (whatever the preprocessor conditions around the lines).
#   2. No coroutine backend (detail/backend/) includes a public header or an
#      impl/ file: only detail/ headers and config.hpp, which every header
#      includes first.
# Usage: include_graph.sh <include dir>. Exits non-zero and names the cycle or
# the include on failure.
set -u
root=${1:?usage: include_graph.sh <include dir>}
cd "$root" || exit 2

edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
status=0
while IFS= read -r -d '' file; do
    name=${file#./}
    while IFS= read -r target; do
        printf '%s %s\n' "$name" "$target" >>"$edges"
        case $name in
        asio_shield/detail/backend/*)
            case $target in
            asio_shield/detail/* | asio_shield/config.hpp) ;;
            *)
                echo "layer violation: $name includes the public header $target"
                status=1
                ;;
            esac
            ;;
        esac
    done < <(sed -n 's|^[[:space:]]*#[[:space:]]*include[[:space:]]*<\(asio_shield[^>]*\)>.*|\1|p' "$file")
done < <(find . -name '*.hpp' -o -name '*.ipp' | sort | tr '\n' '\0')

# tsort reports each cycle it breaks ("input contains a loop") on stderr.
if ! loops=$(tsort "$edges" 2>&1 >/dev/null) || [ -n "$loops" ]; then
    echo "include cycle:"
    printf '%s\n' "$loops"
    status=1
fi
[ "$status" -eq 0 ] && echo "include graph: $(wc -l <"$edges") edges, no cycle, backends include detail/ only"
exit "$status"
