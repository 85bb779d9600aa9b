# Differential scenario: git in a working directory inside the root, across
# many processes (bash, git and its helpers): init, add, commit, branch,
# merge, log, fsck, gc. Fixed dates make the object ids reproducible.
set -u
root=$1
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z'
export GIT_CONFIG_NOSYSTEM=1 HOME=/nonexistent
mkdir -p "$root/repo" && cd "$root/repo" || exit 1
echo "pwd: $(pwd)"
git init -q -b main . && echo "init ok"
python3 -c 'open("a.txt", "w").write("alpha\n")'
git add a.txt && git commit -qm first && echo "commit: $(git rev-parse HEAD)"
git checkout -qb topic
python3 -c 'open("b.txt", "w").write("beta\n")'
git add b.txt && git commit -qm second && echo "topic: $(git rev-parse HEAD)"
git checkout -q main
git merge -q --no-edit topic && echo "merged: $(git rev-parse HEAD)"
git log --format='%H %s' | cat
git ls-files | cat
git fsck --no-progress 2>&1 && echo "fsck ok"
git gc -q 2>&1 && echo "gc ok"
git count-objects -v | grep -E '^(count|in-pack|packs):'
git fsck --no-progress 2>&1 && echo "fsck after gc ok"
