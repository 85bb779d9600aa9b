# Helpers for the launcher tests, sourced by each tests/launcher/*.sh.
# Every check runs the real ramdir binary and compares its exit status,
# standard output and standard error with what the test spells out in full;
# a check that differs prints both and counts as failed. The script ends
# with "N passed, M failed" and exits non-zero if any failed.
#
# Usage of a test script: bash NAME.sh PATH/TO/ramdir
set -u
RAMDIR=${1:?usage: $0 PATH/TO/ramdir}
RAMDIR=$(realpath "$RAMDIR")
LT_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LT_PASS=0
LT_FAIL=0

# A clean environment: nothing from an outer ramdir or the caller's
# settings may change what the launcher does.
unset LD_PRELOAD RAMDIR_PREFIX RAMDIR_QUOTA RAMDIR_MAX_NODES RAMDIR_MEMORY_GUARD \
	RAMDIR_DEBUG RAMDIR_ARENA
export LC_ALL=C
export TMPDIR=${TMPDIR:-/tmp}

# Scratch directory on the real disk, readable by other users (a check
# runs the launcher as nobody), removed at exit.
WORK=$(mktemp -d "$TMPDIR/ramdir-launcher.XXXXXX")
chmod 755 "$WORK"
trap 'chmod -R u+rwx "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

lt_pass() {
	LT_PASS=$((LT_PASS + 1))
	echo "ok   $1"
}

lt_fail() {
	LT_FAIL=$((LT_FAIL + 1))
	echo "FAIL $1"
	shift
	local line
	for line in "$@"; do
		echo "     $line"
	done
}

# check NAME STATUS STDOUT STDERR -- COMMAND...
# Runs COMMAND; status, stdout and stderr must be exactly as given.
check() {
	local name=$1 want_rc=$2 want_out=$3 want_err=$4
	shift 5
	local out err rc
	out=$("$@" 2>"$WORK/.err")
	rc=$?
	err=$(cat "$WORK/.err")
	if [ "$rc" = "$want_rc" ] && [ "$out" = "$want_out" ] && [ "$err" = "$want_err" ]; then
		lt_pass "$name"
	else
		lt_fail "$name" "command: $*" "status: $rc (want $want_rc)" \
			"stdout: $(printf '%q' "$out")" "  want: $(printf '%q' "$want_out")" \
			"stderr: $(printf '%q' "$err")" "  want: $(printf '%q' "$want_err")"
	fi
}

# check_glob NAME STATUS STDOUT STDERR-PATTERN -- COMMAND...
# As check, but stderr is a shell pattern (for numbers of this machine).
check_glob() {
	local name=$1 want_rc=$2 want_out=$3 want_err=$4
	shift 5
	local out err rc
	out=$("$@" 2>"$WORK/.err")
	rc=$?
	err=$(cat "$WORK/.err")
	# shellcheck disable=SC2053
	if [ "$rc" = "$want_rc" ] && [ "$out" = "$want_out" ] && [[ "$err" == $want_err ]]; then
		lt_pass "$name"
	else
		lt_fail "$name" "command: $*" "status: $rc (want $want_rc)" \
			"stdout: $(printf '%q' "$out")" "  want: $(printf '%q' "$want_out")" \
			"stderr: $(printf '%q' "$err")" "  want pattern: $want_err"
	fi
}

# expect NAME "$actual" "$wanted": a value computed by the test.
expect() {
	if [ "$2" = "$3" ]; then
		lt_pass "$1"
	else
		lt_fail "$1" "got:  $(printf '%q' "$2")" "want: $(printf '%q' "$3")"
	fi
}

# A listing of the scratch directory, to prove an error left nothing.
snapshot() {
	find "$WORK" -mindepth 1 -not -name .err -printf '%P %y %s\n' | sort
}

lt_done() {
	echo "$LT_PASS passed, $LT_FAIL failed"
	[ "$LT_FAIL" -eq 0 ]
}
