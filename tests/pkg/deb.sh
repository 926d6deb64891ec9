#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian package, as an admin meets it: lintian with no errors, then
# installed on this machine, used, and removed (dpkg -r keeps the
# conffile, dpkg -P removes it).  Needs root; run by `make check-deb`.
#   tests/pkg/deb.sh hvkit_VERSION_amd64.deb
set -eu
deb=$1
fail() { echo "FAIL: $*"; exit 1; }

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: installing the package needs root"
	exit 77
fi
if dpkg-query -W -f='${Status}' hvkit 2>/dev/null | grep -q 'ok installed'; then
	echo "SKIP: an hvkit package is already installed here; not replacing it"
	exit 77
fi

echo "lintian $deb"
lintian --fail-on error --suppress-tags initial-upload-closes-no-bugs "$deb"

dpkg -i "$deb" >/dev/null
trap 'dpkg -P hvkit >/dev/null 2>&1 || true' EXIT
v=$(/usr/bin/hvkit --version)
echo "installed: $v"
case "$v" in "hvkit "[0-9]*) ;; *) fail "hvkit --version printed '$v'" ;; esac
/usr/bin/hvkit topo >/dev/null || fail "hvkit topo failed"
/usr/bin/hvkit sched check /etc/hvkit/sched.conf >/dev/null || fail "the shipped sched.conf does not check"
man -w hvkit-cpuid >/dev/null 2>&1 || [ ! -x /usr/bin/man ] || fail "man page hvkit-cpuid not found"
[ -f /lib/systemd/system/hvkit-sched.service ] || fail "no unit installed"
grep -q '^ExecStart=/usr/bin/hvkit sched run /etc/hvkit/sched.conf' /lib/systemd/system/hvkit-sched.service ||
	fail "the unit names another binary or configuration path"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify /lib/systemd/system/hvkit-sched.service ||
		fail "systemd-analyze verify"
fi
[ ! -e /etc/systemd/system/multi-user.target.wants/hvkit-sched.service ] ||
	fail "the unit was enabled by installing"

# Completion: `hvkit cpuid pol<TAB>` in bash gives policy.
out=$(bash -c '. /usr/share/bash-completion/completions/hvkit
COMP_WORDS=(hvkit cpuid pol); COMP_CWORD=2; _hvkit; echo "${COMPREPLY[*]}"')
[ "$out" = policy ] || fail "bash completion of 'hvkit cpuid pol' gave '$out'"
out=$(bash -c '. /usr/share/bash-completion/completions/hvkit
COMP_WORDS=(hvkit cpuid policy host --for ""); COMP_CWORD=5; _hvkit; echo "${COMPREPLY[*]}"')
[ "$out" = "xl xl-xend qemu libvirt" ] || fail "bash completion of '--for' gave '$out'"
# The rest of what completion.sh asks of the build's copy, of the installed one.
bash "$(dirname "$0")/completion.sh" /usr/share/bash-completion/completions/hvkit ||
	fail "the installed bash completion"
[ -f /usr/share/zsh/vendor-completions/_hvkit ] || fail "no zsh completion"

dpkg -r hvkit >/dev/null
[ ! -e /usr/bin/hvkit ] || fail "dpkg -r left /usr/bin/hvkit"
[ -e /etc/hvkit/sched.conf ] || fail "dpkg -r removed the conffile"
dpkg -P hvkit >/dev/null
[ ! -e /etc/hvkit/sched.conf ] || fail "dpkg -P left the conffile"
trap - EXIT
echo "ok: lintian clean, installed, used, removed and purged"
