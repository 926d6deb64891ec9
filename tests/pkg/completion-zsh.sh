#!/bin/sh
# SPDX-License-Identifier: MIT
# The zsh completion generated from the help texts (scripts/gen-
# completion.py), as an admin's <TAB> meets it in a real interactive zsh:
# a zsh on a pseudo-terminal (zsh/zpty) runs compinit with the generated
# _hvkit first on its fpath, each line below is typed with a <TAB>, and a
# compadd wrapper prints what the completion offers (the approach of
# zsh-capture-completion).  The cases are those of completion.sh: tools,
# verbs, each verb's own options and option values, --opt=VALUE, a tool
# named by a prefix, nothing after a word that is no verb, file names.
#   tests/pkg/completion-zsh.sh FILE   (the build's dist/_hvkit)
set -u
command -v zsh >/dev/null 2>&1 ||
	{ echo "SKIP: zsh is not installed (scripts/install-deps.sh test installs it)"; exit 77; }
file=$(realpath -e "$1") || { echo "FAIL: no completion file '$1'"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the function's file under its own name, alone on the fpath
mkdir "$tmp/fpath" "$tmp/cwd" && cp "$file" "$tmp/fpath/_hvkit" || exit 1
cd "$tmp/cwd" || exit 1
: >"file with space"
: >plain.cfg
exec zsh -f -c '
zmodload zsh/zpty || { print "SKIP: zsh has no zsh/zpty module"; exit 77 }
fpath_dir=$1
integer fails=0
zpty hv zsh -f -i
# one line of setup each; the last prints READY once all ran
zpty -w hv "PS1= PROMPT= RPROMPT=; unsetopt bracketed_paste 2>/dev/null; fpath=(${(q)fpath_dir} \$fpath)"
zpty -w hv "autoload -Uz compinit && compinit -u -D"
zpty -w hv "zstyle \":completion:*\" insert-tab false; zstyle \":completion:*\" list-grouped false"
# compadd prints each match it is given (with the prefix of --opt=), the
# zle widget runs the completion then prints END
zpty -w hv "compadd() { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd \"\$@\"; return; fi; local -a h; builtin compadd -A h \"\$@\"; local -A o; zparseopts -E -A o P: p: S: s: W:; local x; for x in \$h; do print -r -- \"HIT:\$IPREFIX\${o[-P]}\${o[-p]}\$x\"; done; }"
zpty -w hv "__hv_tab() { zle complete-word; print -r -- END:; }; zle -N __hv_tab; bindkey \"^I\" __hv_tab"
zpty -w hv "print -r -- READY:"

# read_until MARK: the output up to MARK (60 s at most: compinit on a
# loaded machine is slow), in $got
read_until() {
	local chunk
	got=
	integer t=$SECONDS
	while (( SECONDS - t < 60 )); do
		if zpty -r -t hv chunk; then
			got+=$chunk
			[[ $got == *$1* ]] && return 0
		else
			sleep 0.05
		fi
	done
	return 1
}
read_until READY: || { print "FAIL: zsh did not start (compinit)"; exit 1 }

# hits: the matches in $got, one an element (the echoed line can come
# before the first on its line), unquoted ("file\ with\ space")
hits() {
	local l
	reply=()
	for l in ${(f)${got//$'"'"'\r'"'"'/}}; do
		[[ $l == *HIT:* ]] && reply+=(${(Q)l#*HIT:})
	done
}

# comp WANT WORDS: <TAB> after WORDS offers exactly WANT (any order)
comp() {
	local want=$1 line=$2 have
	zpty -n -w hv "$line"$'"'"'\t'"'"'
	if ! read_until END:; then
		print -r -- "FAIL: ${(qq)line}<TAB>: no answer"
		(( fails++ ))
	else
		hits
		have=${(j: :)${(ou)reply}}
		if [[ $have != ${(j: :)${(ou)${=want}}} && ! ( -z $want && -z $have ) ]]; then
			print -r -- "FAIL: ${(qq)line}<TAB> gave ${(qq)have}, expected ${(qq)want}"
			(( fails++ ))
		fi
	fi
	# an empty line for the next case (^U: the whole line)
	zpty -n -w hv $'"'"'\x15'"'"'
}
# compf WANT WORDS: the same, a match with blanks in it being one
compf() {
	local want=$1 line=$2
	zpty -n -w hv "$line"$'"'"'\t'"'"'
	if ! read_until END:; then
		print -r -- "FAIL: ${(qq)line}<TAB>: no answer"; (( fails++ ))
	elif hits; [[ ${(F)reply} != $want ]]; then
		print -r -- "FAIL: ${(qq)line}<TAB> did not give ${(qq)want} as one match: ${(qq)got}"
		(( fails++ ))
	fi
	zpty -n -w hv $'"'"'\x15'"'"'
}

comp "topo cpuid sched move help" "hvkit "
comp "policy" "hvkit cpuid pol"
comp "raw vhd vhd-fixed qcow2 xva" "hvkit move disk a.raw b --to "
comp "xva ova ovf" "hvkit move export g.cfg --to "
comp "xl" "hvkit move import p.xva --to "
comp "raw vhd vhd-fixed qcow2 xva vmdk vhdx" "hvkit move disk --from "
comp "sha1 xxhash both" "hvkit move disk --checksum "
comp "xl xl-xend qemu libvirt" "hvkit cpuid policy host --for "
comp "xl xl-xend qemu libvirt" "hvkit cpuid baseline --for "
comp "xapi" "hvkit move check g.cfg --for "
comp "7.1 8.2 8.3" "hvkit move check g.cfg --release "
comp "error warning info none" "hvkit topo check --fail-on "
comp "--color=auto --color=always --color=never" "hvkit topo --color="
comp "--color=auto --color=always" "hvkit --color=a"
comp "--of=png --of=pdf" "hvkit topo --of=p"
comp "--json=pretty" "hvkit cpuid --json="
comp "linux xen qemu libvirt" "hvkit cpuid features --names "
# a unique prefix names the tool; verbs are named in full
comp "capture check diff where" "hvkit t "
comp "--of --output" "hvkit t --o"
comp "decode features dump models model policy baseline compare" "hvkit c "
comp "topo cpuid sched move" "hvkit help "
comp "topo cpuid sched move" "hvkit help -v "
# options that take a value: the next word is that value, not a verb
comp "capture check diff where" "hvkit topo --from check "
comp "capture check diff where" "hvkit topo -o check "
comp "check run status simulate" "hvkit sched "
# each verb its own options, and only its own
comp "--help --json --summary --tick --verbose" "hvkit sched simulate --"
comp "--from --help --keep-serials --output --sysroot --verbose" "hvkit topo capture --"
comp "--help --json --names --output --verbose" "hvkit cpuid models --"
comp "--password-file" "hvkit move push --pass"
comp "" "hvkit move disk --pass"
comp "--json" "hvkit move info --js"
# after the tool only verbs (no file), after a word that is no verb nothing
comp "decode features dump models model policy baseline compare" "hvkit cpuid "
comp "" "hvkit move d "
comp "" "hvkit frob "
comp "" "hvkit topo check "
# a flag takes no value: after --prometheus come options
comp "" "hvkit sched status --prometheus "
comp "--state" "hvkit sched status --prometheus --sta"
# file names: an argument, an option value; blanks stay in one match
comp "plain.cfg" "hvkit move show pl"
comp "plain.cfg" "hvkit topo --from pl"
compf "file with space" "hvkit move disk fil"
compf "file with space" "hvkit sched run c --metrics-file fil"
zpty -d hv
(( fails == 0 )) || exit 1
print "ok: zsh completion"
' zsh "$tmp/fpath"
