#!/bin/sh
# The public headers in include/attnlab/ against the list in
# tests/meson.build that compiles each one alone: fails, naming the header,
# when one is on disk but not listed, or listed but not on disk.
# Usage: check_header_list.sh INCLUDE_DIR LISTED_HEADER...
set -eu
dir=$1
shift
status=0
for path in "$dir"/*.h; do
    [ -e "$path" ] || continue
    header=${path##*/}
    case " $* " in
        *" $header "*) ;;
        *) echo "include/attnlab/$header is not in public_headers in tests/meson.build"
           status=1 ;;
    esac
done
for header in "$@"; do
    if [ ! -e "$dir/$header" ]; then
        echo "public_headers in tests/meson.build lists $header, which is not in include/attnlab/"
        status=1
    fi
done
[ "$status" -ne 0 ] || echo "all $# public headers are listed"
exit "$status"
