#!/usr/bin/env bash
# Check docs/intercepted.md against the built library: every symbol listed
# there (in backticks at the start of a table row) must be exported by
# libramdir.so, and every symbol the library exports must be listed.
# Usage: check_exports.sh LIBRAMDIR INTERCEPTED_MD
set -u
lib=$1
doc=$2
for f in "$lib" "$doc"; do
	if [ ! -r "$f" ]; then
		echo "check_exports: cannot read $f"
		exit 2
	fi
done

listed=$(sed -n 's/^| *`\([A-Za-z_][A-Za-z0-9_]*\)` *|.*/\1/p' "$doc" | sort -u)
exported=$(nm -D --defined-only "$lib" | awk 'NF >= 3 && $2 ~ /^[TtWwiI]$/ { print $3 }' | sed 's/@.*//' | sort -u)
if [ -z "$listed" ]; then
	echo "check_exports: no symbols found in $doc"
	exit 1
fi
if [ -z "$exported" ]; then
	echo "check_exports: no exported functions found in $lib"
	exit 1
fi

missing=$(comm -23 <(printf '%s\n' "$listed") <(printf '%s\n' "$exported"))
unlisted=$(comm -13 <(printf '%s\n' "$listed") <(printf '%s\n' "$exported"))
fail=0
if [ -n "$missing" ]; then
	echo "check_exports: listed in $(basename "$doc") but not exported by $(basename "$lib"):"
	printf '  %s\n' $missing
	fail=1
fi
if [ -n "$unlisted" ]; then
	echo "check_exports: exported by $(basename "$lib") but not listed in $(basename "$doc"):"
	printf '  %s\n' $unlisted
	fail=1
fi
[ "$fail" = 0 ] && echo "check_exports: $(printf '%s\n' "$listed" | wc -l) symbols listed and exported"
exit "$fail"
