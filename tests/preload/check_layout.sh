#!/usr/bin/env bash
# How libramdir.so is linked is part of what every process pays to start
# (docs/DESIGN.md 9, "Start-up cost"); this keeps the measured choices from
# quietly coming undone:
#  - lazy binding (no BIND_NOW), no DT_FINI, no RELRO segment;
#  - the writable data and the start of .bss in one page;
#  - a small static TLS block;
#  - the code every process runs (RP_START/RD_START and the constructor)
#    in the first 64 KiB of the file, the window the loader maps with the
#    headers.
# Usage: check_layout.sh LIBRAMDIR
set -u
lib=$1
. "$(dirname "$0")/check_lib.sh"

dyn=$(readelf -dW "$lib")
expect "lazy binding" "no" "$(grep -qE '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW|\(BIND_NOW\)' <<<"$dyn" && echo BIND_NOW || echo no)"
expect "no DT_FINI" "no" "$(grep -q '(FINI)' <<<"$dyn" && echo DT_FINI || echo no)"

seg=$(readelf -lW "$lib")
expect "no RELRO segment" "no" "$(grep -q GNU_RELRO <<<"$seg" && echo GNU_RELRO || echo no)"
# The writable LOAD: its file part (GOTs, .dynamic, .data), which the
# loader's relocations write, and the start of .bss, which it zeroes, in
# one page. ld starts the segment on a page or just after the code's last
# byte, whichever spans fewer pages, so the offset within the page counts.
read -r off filesz <<<"$(awk '$1 == "LOAD" && $7 ~ /W/ { print $2, $5 }' <<<"$seg")"
expect "writable data within one page" "yes" \
	"$( (((off % 4096) + filesz <= 4096)) && echo yes || echo "no ($((off % 4096)) + $((filesz)) bytes)")"
tls=$(awk '$1 == "TLS" { print $6 }' <<<"$seg")
expect "static TLS at most 1 KiB" "yes" "$( ((${tls:-0} <= 1024)) && echo yes || echo "no ($((tls)) bytes)")"

# Needs the symbol table (a stripped install has none).
if nm "$lib" >/dev/null 2>&1 && [ -n "$(nm "$lib" 2>/dev/null | head -1)" ]; then
	for f in rp_init init_exit rp_prefix_parse rp_exec_capture rp_handoff_adopt rp_handoff_exit rp_cwd_adopt \
		rp_cwd_refresh rp_fd_get rp_fd_high syscall rd_config_default rd_parse_size rd_tree_attach \
		rd_tree_set_cred rd_tree_set_umask rd_tree_set_pid rd_tree_roots lookup_forget; do
		addr=$(nm "$lib" | awk -v f="$f" '$3 == f && $2 ~ /[tT]/ { print $1; exit }')
		if [ -z "$addr" ]; then
			expect "$f in the first 64 KiB" "present" "missing"
		else
			expect "$f in the first 64 KiB" "yes" "$( ((0x$addr < 0x10000)) && echo yes || echo "no (0x$addr)")"
		fi
	done
else
	echo "skip: $lib has no symbol table"
fi
exit $fail
