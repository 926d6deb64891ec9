#!/bin/bash
# SPDX-License-Identifier: MIT
# The bash completion generated from the help texts (scripts/gen-
# completion.py), as an admin's <TAB> meets it: each verb's own option
# values (move disk --to offers what disk writes, not export's ova),
# --color= in both the forms bash splits it into, a tool named by a
# prefix (hvkit t <TAB>), options that take a value.  Run in an empty
# folder, so that no file name answers for a verb or a value.
#   tests/pkg/completion.sh FILE   (the build's dist/hvkit, or the
#                                   installed one: tests/pkg/deb.sh)
set -u
file=$(realpath -e "$1") || { echo "FAIL: no completion file '$1'"; exit 1; }
bash -c '. "$0" && declare -F _hvkit >/dev/null' "$file" ||
	{ echo "FAIL: '$file' defines no _hvkit"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0

# comp WANT WORD...: completing the last WORD gives exactly WANT.
comp() {
	local want=$1 got
	shift
	got=$(bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hvkit; echo "${COMPREPLY[*]}"' \
		"$file" "$@")
	if [ "$got" != "$want" ]; then
		echo "FAIL: '$*<TAB>' gave '$got', expected '$want'"
		fails=$((fails + 1))
	fi
}

comp "policy" hvkit cpuid pol
comp "raw vhd vhd-fixed qcow2 xva" hvkit move disk a.raw b --to ""
comp "xva ova ovf" hvkit move export g.cfg --to ""
comp "xl" hvkit move import p.xva --to ""
comp "xl" hvkit move pull xapi://h vm --to ""
comp "raw vhd vhd-fixed qcow2 xva vmdk vhdx" hvkit move disk --from ""
comp "sha1 xxhash both" hvkit move disk --checksum ""
comp "xl xl-xend qemu libvirt" hvkit cpuid policy host --for ""
comp "xapi" hvkit move check g.cfg --for ""
comp "7.1 8.2 8.3" hvkit move check g.cfg --release ""
comp "error warning info none" hvkit topo check --fail-on ""
comp "--color=auto --color=always --color=never" hvkit topo --color=
comp "always" hvkit topo --color = al
comp "--color=auto --color=always" hvkit --color=a
comp "text json svg png pdf dot" hvkit topo --of ""
# where, check and diff write text or JSON: no picture offered
comp "text json" hvkit topo where --of ""
comp "text json" hvkit topo check --of ""
comp "--of=png --of=pdf" hvkit topo --of=p
comp "linux xen qemu libvirt" hvkit cpuid features --names ""
# a documented abbreviation names the tool
comp "capture check diff where" hvkit t ""
comp "--of --output" hvkit t --o
comp "topo" hvkit --color=always t
comp "decode features dump models model policy baseline compare" hvkit c ""
comp "topo cpuid sched move" hvkit help ""
comp "topo cpuid sched move" hvkit help -v ""
# options that take a value: the next word is that value, not a verb
comp "capture check diff where" hvkit topo --from check ""
comp "capture check diff where" hvkit topo -o check ""
comp "check run status simulate" hvkit sched ""
takes=$(bash -c '. "$0"; declare -F _hvkit_takes >/dev/null && _hvkit_takes sched:simulate' "$file")
case " $takes " in *" -o "*) ;; *) echo "FAIL: sched simulate -o takes no value: '$takes'"; fails=$((fails + 1)) ;; esac
# a verb's own options
comp "--password-file" hvkit move push --pass
comp "" hvkit move disk --pass
comp "--json" hvkit move info --js
# unknown tool: nothing, not another tool's words
comp "" hvkit frob ""

# a flag takes no value, and a description's words are none: after
# --prometheus come options, after --metrics-file files
comp "" hvkit sched status --prometheus ""
comp "--state" hvkit sched status --prometheus --sta

# each verb its own options, and only its own (tests/pkg/completion-
# verbs.py asks the binary about every one)
comp "--help --json --summary --tick --verbose" hvkit sched simulate --
comp "--from --help --keep-serials --output --sysroot --verbose" hvkit topo capture --
comp "--help --json --names --output --verbose" hvkit cpuid models --
comp "xl xl-xend qemu libvirt" hvkit cpuid baseline --for ""
# after the tool only verbs, not files; after a word that is no verb (verbs
# take no abbreviation) or a verb that takes no argument, nothing
: >plain.cfg
comp "decode features dump models model policy baseline compare" hvkit cpuid ""
comp "capture check diff where" hvkit t ""
comp "" hvkit move d ""
comp "" hvkit topo check ""
comp "plain.cfg" hvkit move show ""
rm plain.cfg

# a file name with spaces is one word, not three
mkdir -p "dir with space"
for words in "hvkit move disk dir" "hvkit sched run c --metrics-file dir"; do
	# shellcheck disable=SC2086
	got=$(bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hvkit; printf "%s|" "${COMPREPLY[@]}"' \
		"$file" $words)
	if [ "$got" != "dir with space|" ]; then
		echo "FAIL: '$words<TAB>' gave '$got', expected 'dir with space|'"
		fails=$((fails + 1))
	fi
done
rmdir "dir with space"

[ "$fails" = 0 ] || exit 1
echo "ok: bash completion"
