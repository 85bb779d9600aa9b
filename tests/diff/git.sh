# shellcheck shell=bash
# Scenario (tests/diff/run.sh): git with repositories in ROOT, across the
# many processes git starts (hooks, pack-objects, index-pack, upload-pack,
# fetch-pack, the merge machinery): init, add, commit, branch, merge (fast
# forward, a true merge and a conflict resolved by hand), gc, fsck, repack,
# clone (local with hard links, --no-local through the pack protocol, and
# file://), push and fetch between the clones, archive piped into tar, and
# output redirected into tree files. Fixed identities and dates make every
# object id reproducible, so ids are printed and compared.
# needs: git tar
set -u
root=$1
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z'
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=/nonexistent GIT_PAGER=cat PAGER=cat
mkdir -p "$root" && cd "$root" || exit 1
show() { echo "== $*"; }
head_id() { git -C "$1" rev-parse HEAD; }

show init add commit
git init -q -b main repo && echo "init: $?"
cd repo || exit 1
git config core.fsync none
printf 'alpha\n' >a.txt
mkdir -p src && for i in $(seq 1 40); do printf 'int f%d(void) { return %d; }\n' "$i" "$i" >"src/f$i.c"; done
git add -A && git commit -qm first && echo "first: $(head_id .)"
ls .git | LC_ALL=C sort | tr '\n' ' ' && echo
git status --porcelain && echo "clean"

show branch merge
git checkout -qb topic
printf 'beta\n' >b.txt && git add b.txt && git commit -qm second && echo "topic: $(head_id .)"
git checkout -q main
git merge -q --ff-only topic && echo "fast forward: $(head_id .)"
git checkout -q -b side HEAD~1
printf 'gamma\n' >c.txt && git add c.txt && git commit -qm third
git checkout -q main
git merge -q --no-edit side && echo "merge: $(head_id .)"
git branch --list | cat
git log --graph --format='%s %h' | cat
git checkout -q -b conflict HEAD~1
printf 'alpha from conflict\n' >a.txt && git commit -qam conflict-side
git checkout -q main
printf 'alpha from main\n' >a.txt && git commit -qam main-side
git merge --no-edit conflict >merge.out 2>&1; echo "conflicting merge: $?"
cat merge.out; rm merge.out
git diff --name-only --diff-filter=U | cat
cat a.txt
printf 'alpha resolved\n' >a.txt && git add a.txt && git commit -q --no-edit && echo "resolved: $(head_id .)"
git show --stat --format='%s' HEAD~1 | cat
git show HEAD:a.txt >shown.txt; echo "show > file: $?"; cat shown.txt; rm shown.txt
git log --format='%H %s' >log.txt; echo "log > file: $?"; wc -l <log.txt; rm log.txt

show fsck gc repack
git fsck --no-progress --strict 2>&1 && echo "fsck ok"
git count-objects -v | grep -E '^(count|in-pack|packs):'
git gc -q 2>&1 && echo "gc: $?"
git count-objects -v | grep -E '^(count|in-pack|packs):'
git fsck --no-progress --full 2>&1 && echo "fsck after gc ok"
git repack -q -a -d -f && git verify-pack -v .git/objects/pack/*.idx | tail -n 2
git rev-list --all --objects | wc -l
cd .. || exit 1

show clone
git clone -q repo c-local && echo "local clone: $(head_id c-local)"
git clone -q --no-local repo c-pack && echo "--no-local clone: $(head_id c-pack)"
git clone -q "file://$root/repo" c-file && echo "file:// clone: $(head_id c-file)"
git clone -q --bare repo bare.git && echo "bare: $(git -C bare.git rev-parse HEAD)"
git clone -q --depth 1 "file://$root/repo" c-shallow && git -C c-shallow log --oneline | wc -l
diff -r -x .git repo c-local && diff -r -x .git repo c-pack && echo "work trees equal"
git -C c-pack fsck --no-progress 2>&1 && echo "clone fsck ok"
git clone -q nothing-here c-missing 2>&1 | sed "s#$root#ROOT#"; echo "clone missing: ${PIPESTATUS[0]}"

show push fetch
(cd c-pack && printf 'delta\n' >d.txt && git add d.txt && git commit -qm fourth && git push -q origin HEAD:refs/heads/from-clone 2>&1) && echo "push: $?"
git -C bare.git fetch -q "$root/repo" 'refs/heads/*:refs/heads/*' 2>&1; echo "fetch into bare: $?"
git -C c-pack push -q "$root/bare.git" HEAD:refs/heads/pushed 2>&1 && git -C bare.git branch --list | cat
git -C c-file fetch -q origin && git -C c-file branch -r | cat
git -C c-file merge -q --ff-only origin/from-clone && echo "c-file now $(head_id c-file)"

show archive bundle
git -C repo archive --format=tar --prefix=snap/ HEAD | tar -xf - && find snap -type f | LC_ALL=C sort | head -3 && find snap -type f | wc -l
git -C repo archive --format=tar.gz -o "$root/snap.tgz" HEAD && tar -tzf snap.tgz | wc -l
git -C repo bundle create -q "$root/all.bundle" --all 2>&1; git -C repo bundle verify "$root/all.bundle" 2>&1 | sed "s#$root#ROOT#"
git clone -q all.bundle c-bundle && echo "bundle clone: $(head_id c-bundle)"

show final
ls -A
