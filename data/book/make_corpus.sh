#!/bin/sh
# Write data/book/kjv.txt: the King James Bible (1611, public domain) as
# plain text, one verse a line, from Debian's bible-kjv package (the
# `bible` program; .ci/packages lists it). The text is 4.3 MB, so it is
# made here rather than committed; the same package gives the same bytes.
#
#   sh data/book/make_corpus.sh [OUT]     # default: beside this script
#
# `bible -l100000` prints each verse on one line as "  N text"; the book and
# chapter headings ("Genesis 1") and blank lines are left out.
set -eu
out=${1:-$(dirname "$0")/kjv.txt}
if ! command -v bible >/dev/null 2>&1; then
    echo "make_corpus.sh: needs the 'bible' program (apt-get install bible-kjv)" >&2
    exit 1
fi
tmp="$out.partial.$$"   # made by the shell, so the umask decides its mode
trap 'rm -f "$tmp"' EXIT INT TERM
bible -l100000 gen1:1-rev22:21 | sed -n 's/^ \{1,\}[0-9]\{1,\} //p' > "$tmp"
mv "$tmp" "$out"
trap - EXIT INT TERM
