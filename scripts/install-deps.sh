#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages a target needs, when they are missing.
#   scripts/install-deps.sh build|test|fuzz|deb|xen ...
set -eu

build="meson ninja-build pkg-config gcc libc6-dev libpci-dev libarchive-dev libcairo2-dev zlib1g-dev pci.ids libxml2-dev libxen-dev libxxhash-dev nettle-dev libcurl4-openssl-dev libblkid-dev libvirt-dev"
# Anchor tools the tests compare against, and what the tests themselves run.
# prometheus: for promtool, the judge of the sched metrics (its server is not used).
# nodejs, npm: Xen Orchestra's own libraries (vhd-lib, @xen-orchestra/xva),
# installed from npm into the build tree by the tests, judge hvkit move.
# e2fsprogs, fdisk: the pre-flight's crafted guest disks (mke2fs -d, sfdisk).
# libvirt0 (with libvirt-clients): sched --backend libvirt and its test driver.
# libvirt-daemon, libvirt-daemon-driver-lxc: the same on real domains, LXC
# containers of a private libvirtd the test starts (no service is enabled:
# that is libvirt-daemon-system, not installed).
# zsh: the generated zsh completion is tried in a real zsh.
test="etcd-server etcd-client hwloc pciutils dmidecode acpica-tools bzip2 gzip tar python3 graphviz libxml2-utils cpuid qemu-utils libvhdi-utils xxhash xva-img qemu-system-x86 libvirt-clients libvirt0 libvirt-daemon libvirt-daemon-driver-lxc openssl prometheus nodejs npm e2fsprogs fdisk zsh"
fuzz="clang libclang-rt-14-dev"
# make deb and its test: the package tools and lintian.
deb="debhelper dpkg-dev lintian man-db"
# The Xen test box (tests/xen/run.sh): QEMU on the host; Xen, the kernel and
# busybox are downloaded and unpacked by tests/xen/mkimages.sh, not installed.
xen="qemu-system-x86 cpio kmod gzip dpkg apt coreutils util-linux"

want=""
for set in "$@"; do
	case "$set" in
	build) want="$want $build" ;;
	test) want="$want $test" ;;
	fuzz) want="$want $fuzz" ;;
	deb) want="$want $deb" ;;
	xen) want="$want $xen" ;;
	*) echo "install-deps: unknown set '$set'" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	# A nodejs built elsewhere (NodeSource) bundles npm and conflicts with
	# Debian's npm package: the command is what the tests need.
	if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then
		continue
	fi
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
