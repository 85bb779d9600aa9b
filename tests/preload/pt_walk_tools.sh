# Differential scenario: Debian programs that walk trees or expand patterns
# with libc's own helpers rather than their own code: hardlink (util-linux,
# nftw with FTW_PHYS) finding and linking identical files, getcap -r
# (nftw64) listing every file it searched, and GNU make expanding
# $(wildcard ...) (glob with make's own GLOB_ALTDIRFUNC callbacks). Output
# is names, counts and link counts, never times.
set -u
root=$1
mkdir -p "$root/data/sub/deeper" "$root/data/empty" "$root/proj/src/inc" || exit 1
cd "$root" || exit 1
show() { echo "== $*"; }

show hardlink
printf 'same content\n' >data/a
printf 'same content\n' >data/sub/b
printf 'same content\n' >data/sub/deeper/c
printf 'other\n' >data/d
printf 'other\n' >data/sub/e
printf 'unique\n' >data/f
ln -s a data/link
# Dry run first (nothing changes), then for real; -y memcmp so no hash
# library is involved, -c so times and owners do not matter.
hardlink -n -v -c -y memcmp data 2>&1 | grep -v '^Duration' | sed 's/^\[DryRun\] //'
echo "dry run: $(stat -c '%h %n' data/a data/sub/b data/sub/deeper/c data/d data/sub/e | tr '\n' ';')"
hardlink -c -y memcmp data 2>&1 | grep -v '^Duration'
echo "linked: $(stat -c '%h %n' data/a data/sub/b data/sub/deeper/c data/d data/sub/e data/f | tr '\n' ';')"
hardlink -v -c -y memcmp data/missing 2>&1 | grep -v '^Duration'; echo "missing: ${PIPESTATUS[0]}"

show getcap
if command -v getcap >/dev/null; then
	getcap -r -v data 2>&1 | LC_ALL=C sort
	echo "getcap: $?"
else
	echo "getcap is not installed"
fi

show make wildcard
printf 'int main(void) { return 0; }\n' >proj/src/main.c
printf 'int x;\n' >proj/src/util.c
printf '#define X 1\n' >proj/src/inc/x.h
printf 'not c\n' >proj/src/notes.txt
# printf is a builtin: an external command writing to a redirection into
# the tree needs descriptors handed over exec (issue 4).
printf '%s\n' \
	'SRCS := $(wildcard src/*.c)' \
	'HDRS := $(wildcard src/*/*.h src/inc/*.h)' \
	'ALL := $(sort $(wildcard src/* src/.* */src/nothing))' \
	'ABS := $(wildcard $(CURDIR)/src/m*.c)' \
	'all:' \
	'	@echo "srcs: $(SRCS)"' \
	'	@echo "hdrs: $(HDRS)"' \
	'	@echo "all: $(ALL)"' \
	'	@echo "abs: $(notdir $(ABS))"' \
	'	@echo "none: [$(wildcard src/*.none)]"' >proj/Makefile
make -s -C proj all 2>&1 | sed 's/^make: //'
make -s -f "$root/proj/Makefile" -C "$root/proj" all 2>&1 | sed 's/^make: //'
