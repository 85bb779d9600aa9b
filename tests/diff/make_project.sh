# shellcheck shell=bash
# Scenario (tests/diff/run.sh): a Makefile project written, built, run and
# rebuilt entirely in ROOT, with TMPDIR in the tree (the launcher's default;
# gcc puts its intermediate files there): a code generator compiled first
# and run by a recipe with its output redirected into a tree file, a
# generated header, dependency files (-MMD), a static library (ar), make -j2,
# make -C from outside with relative names, an incremental rebuild after a
# header changes (commands echoed at -j1 so their order is fixed), the
# program run from the tree with its output redirected, and make clean.
# needs: make cc ar md5sum
set -u
root=$1
mkdir -p "$root/proj/src" "$root/proj/include" && cd "$root/proj" || exit 1
show() { echo "== $*"; }
# Sources are written by bash builtins (a here-document read line by line):
# what is compared is the build, not how its inputs got there.
put() { while IFS= read -r l; do printf '%s\n' "$l"; done >"$1"; }

put Makefile <<'EOF'
CC = cc
CFLAGS = -O1 -Wall -Werror -Iinclude -Igen -MMD -MP
OBJS = build/main.o build/table.o build/util.o
LIBOBJS = build/lib1.o build/lib2.o build/lib3.o

all: build/prog

build:
	mkdir -p build gen

gen/version.h: | build
	echo '#define VERSION "1.0-tree"' > gen/version.h

build/gen: src/gen.c | build
	$(CC) -o $@ src/gen.c

build/table.c: build/gen
	./build/gen 16 > build/table.c

build/table.o: build/table.c
	$(CC) $(CFLAGS) -c -o $@ $<

build/%.o: src/%.c gen/version.h | build
	$(CC) $(CFLAGS) -c -o $@ $<

build/libx.a: $(LIBOBJS)
	ar rcs $@ $^

build/prog: $(OBJS) build/libx.a
	$(CC) -o $@ $(OBJS) -Lbuild -lx

run: build/prog
	./build/prog > build/run.out
	cat build/run.out

clean:
	rm -rf build gen

-include $(wildcard build/*.d)
EOF
put include/util.h <<'EOF'
int util_sum(const int *v, int n);
int lib1(void);
int lib2(void);
int lib3(void);
extern const int table[];
extern const int table_len;
EOF
put src/gen.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 8;
	printf("const int table[] = {");
	for (int i = 0; i < n; i++) printf("%s%d", i ? ", " : "", i * i);
	printf("};\nconst int table_len = %d;\n", n);
	return 0;
}
EOF
put src/main.c <<'EOF'
#include <stdio.h>
#include "util.h"
#include "version.h"
int main(void) {
	printf("version %s\n", VERSION);
	printf("sum of squares %d\n", util_sum(table, table_len));
	printf("libs %d %d %d\n", lib1(), lib2(), lib3());
	FILE *f = fopen("build/written-by-prog", "w");
	if (!f) { perror("fopen"); return 1; }
	fprintf(f, "the program wrote this\n");
	return fclose(f) != 0;
}
EOF
printf '#include "util.h"\nint util_sum(const int *v, int n) { int s = 0; for (int i = 0; i < n; i++) s += v[i]; return s; }\n' >src/util.c
for i in 1 2 3; do printf '#include "util.h"\nint lib%d(void) { return %d; }\n' "$i" "$((i * 100))" >"src/lib$i.c"; done

show make -j2
make -s -j2; echo "make -j2: $?"
find build gen -printf '%y %P\n' | LC_ALL=C sort | tr '\n' ' ' && echo
cat build/table.c
./build/prog; echo "prog: $?"
cat build/written-by-prog
ar t build/libx.a
md5sum build/table.c gen/version.h

show up to date
make; echo "make again: $?"

show incremental after a header change
touch include/util.h
make -j1 2>&1; echo "rebuild: $?"
touch src/lib2.c && make -j1 2>&1
make -q; echo "make -q: $?"

show make run
make -s run; echo "make run: $?"

show make -C from outside
cd "$root" || exit 1
make -s -C proj clean && ls proj
make -s -j2 -C proj run; echo "make -C: $?"
(cd proj && make -q); echo "up to date from inside: $?"

show the temporary files cc makes are in TMPDIR
cc -v -c -o /dev/null proj/src/util.c -Iproj/include 2>&1 | grep -o -- "-o $TMPDIR/cc[A-Za-z0-9]*\.s" | sed "s#$TMPDIR/cc[A-Za-z0-9]*#TMP/ccXXXXXX#" | head -n 1
cc -save-temps=obj -c -o proj/build/st.o proj/src/util.c -Iproj/include && ls proj/build | grep '^st\.' | LC_ALL=C sort | tr '\n' ' ' && echo
ls -A "$TMPDIR"

show errors
printf 'int broken(\n' >proj/src/broken.c
make -s -C proj build/broken.o 2>&1 | grep -c error; echo "broken: ${PIPESTATUS[0]}"
make -s -C proj no-such-target 2>&1; echo "no rule: $?"

show clean
make -s -C proj clean && find proj -printf '%y %P\n' | LC_ALL=C sort
