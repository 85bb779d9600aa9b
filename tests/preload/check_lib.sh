# Sourced by the check_*.sh scripts: one assertion helper and the status.
# expect LABEL EXPECTED ACTUAL prints "ok" or "FAIL ... expected/got" and
# remembers a failure in $fail, which the script exits with.
fail=0
expect() { # label expected actual
	if [ "$2" != "$3" ]; then
		echo "FAIL $1: expected [$2], got [$3]"
		fail=1
	else
		echo "ok   $1: $3"
	fi
}
