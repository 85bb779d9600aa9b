# Differential scenario: shell redirections served inside one bash process
# (builtins writing through stdout/stderr bound to tree files, reading
# through stdin), then the results read back by path. External commands
# with an inherited tree descriptor are issue 4 and not exercised here.
set -u
root=$1
mkdir "$root" && cd "$root" || exit 1
echo hello > f
printf '%s\n' two >> f
{ echo a; echo b; } > g
echo to-err 2> e 1>&2
echo "status after redirects: $?"
set -o noclobber
echo x > f 2>/dev/null
echo "noclobber status: $?"
set +o noclobber
exec 3> h
echo via3 >&3
printf 'more %d\n' 3 >&3
exec 3>&-
while read -r line; do echo "read: $line"; done < g
read -r first < f
echo "first line of f: $first"
exec 4< f
read -r l1 <&4
read -r l2 <&4
exec 4<&-
echo "via 4: $l1 / $l2"
echo truncate > f
mapfile -t lines < f
echo "after truncate: ${lines[*]}"
for n in f g h e; do
	printf '%s: ' "$n"
	while IFS= read -r l; do printf '[%s]' "$l"; done < "$n"
	echo
done
