#!/bin/bash
# SPDX-License-Identifier: MIT
# Makes, or reuses, the boot images of the Xen test box (tests/xen/run.sh):
#   CACHE/image/xen.elf       Debian's Xen 4.17, decompressed (QEMU's multiboot loader wants ELF)
#   CACHE/image/vmlinuz       Debian's kernel, for dom0 and the PV domUs
#   CACHE/image/dom0.cpio.gz  busybox + the xl toolstack + the Xen/9p modules, dom0-init.sh as /init
#   CACHE/image/domU.cpio.gz  busybox, domu-init.sh as /init
#   CACHE/image/manifest      "harness HASH" and "PACKAGE VERSION" lines: the cache key
# Everything comes from Debian packages (apt-get download, dpkg -x); nothing is
# installed on the host.  The image is rebuilt when a package's candidate
# version or one of the files baked into it changes.
#   tests/xen/mkimages.sh CACHE_DIR
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:?usage: mkimages.sh CACHE_DIR}
# Absolute: ldd names the stage's libraries by the path they were found
# under, and copy_elf takes only absolute ones (a relative CACHE_DIR made
# a dom0 without its libraries: xenstored could not start).
mkdir -p "$cache" && cache=$(cd "$cache" && pwd)
XENV=4.17
MA=x86_64-linux-gnu
img=$cache/image
debs=$cache/debs
say() { echo "mkimages: $*" >&2; }
die() { say "$*"; exit 1; }

harness=$(cat "$here/mkimages.sh" "$here/dom0-init.sh" "$here/domu-init.sh" "$here/block-hotplug.sh" | sha256sum | cut -c1-16)

# "PACKAGE VERSION" for each package's candidate version ("(none)" when apt has none)
candidates() {
	apt-cache policy "$@" 2>/dev/null |
		awk '/^[^ ]/ { p = $1; sub(/:$/, "", p) } $1 == "Candidate:" { print p, $2 }'
}

# --- reuse ------------------------------------------------------------------
if [ -f "$img/manifest" ]; then
	old_pkgs=$(awk '$1 != "harness" { print $1 }' "$img/manifest")
	# shellcheck disable=SC2086
	now=$(candidates $old_pkgs)
	if [ "$(head -1 "$img/manifest")" = "harness $harness" ]; then
		if [ "$now" = "$(grep -v '^harness ' "$img/manifest")" ]; then
			exit 0
		fi
		if ! echo "$now" | grep -qv ' (none)$'; then
			say "apt knows none of the packages (no 'apt-get update'?): reusing the cached image"
			exit 0
		fi
		say "package versions changed: rebuilding"
	else
		say "harness files changed: rebuilding"
	fi
fi

# --- the package set --------------------------------------------------------
# The kernel behind the linux-image-amd64 meta package, the Xen packages, and
# the shared libraries the Xen tools need (Depends followed through lib*).
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
[ -n "$kpkg" ] || die "apt does not know linux-image-amd64 (run 'apt-get update')"
libs=""
todo="xen-utils-$XENV xenstore-utils"
while [ -n "$todo" ]; do
	next=""
	# shellcheck disable=SC2086
	for d in $(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
			--no-replaces --no-enhances $todo 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^(lib|zlib)/ { print $2 }' | sort -u); do
		case " $libs " in *" $d "*) continue ;; esac
		libs="$libs $d"
		next="$next $d"
	done
	todo=$next
done
pkgs="linux-image-amd64 $kpkg xen-hypervisor-$XENV-amd64 xen-utils-$XENV xen-utils-common
      xenstore-utils busybox-static libgcc-s1 $libs"
# shellcheck disable=SC2086
versions=$(candidates $pkgs | sort -u)
if echo "$versions" | grep -q ' (none)$'; then
	die "no candidate version for: $(echo "$versions" | awk '$2 == "(none)" { printf "%s ", $1 }')"
fi

# --- download (only what is not in the cache yet) ---------------------------
mkdir -p "$debs"
deb_of() { # PACKAGE VERSION -> the .deb's path, as apt-get download names it
	local f
	for f in "$debs/${1}_${2//:/%3a}_"*.deb; do echo "$f"; return; done
}
want=""
while read -r p v; do
	[ "$p" = linux-image-amd64 ] && continue # meta package: only its version is the key
	[ -e "$(deb_of "$p" "$v")" ] || want="$want $p=$v"
done <<<"$versions"
download() { # PACKAGE=VERSION...
	(cd "$debs" && apt-get download -q=2 "$@") >"$cache/download.log" 2>&1
}
if [ -n "$want" ]; then
	say "downloading$want"
	# shellcheck disable=SC2086
	if ! download $want; then
		[ "$(id -u)" = 0 ] || die "apt-get download failed: $(tail -3 "$cache/download.log")"
		say "apt-get download failed: apt-get update and once more"
		apt-get update -qq
		# shellcheck disable=SC2086
		download $want || die "apt-get download failed: $(tail -3 "$cache/download.log")"
	fi
fi

# --- unpack -----------------------------------------------------------------
stage=$cache/stage
new=$cache/image.new
rm -rf "$stage" "$new"
mkdir -p "$stage" "$new"
trap 'rm -rf "$stage" "$new"' EXIT
while read -r p v; do
	case $p in
	linux-image-amd64) ;;
	"$kpkg") # only the kernel and the modules dom0 loads
		dpkg-deb --fsys-tarfile "$(deb_of "$p" "$v")" |
			tar -x -C "$stage" --wildcards './boot/vmlinuz-*' \
				'./lib/modules/*/kernel/drivers/xen' './lib/modules/*/kernel/drivers/virtio' \
				'./lib/modules/*/kernel/drivers/block' \
				'./lib/modules/*/kernel/net/9p' './lib/modules/*/kernel/fs/9p' \
				'./lib/modules/*/kernel/fs/netfs' './lib/modules/*/kernel/fs/fscache' ;;
	*) dpkg -x "$(deb_of "$p" "$v")" "$stage" ;;
	esac
done <<<"$versions"
kver=${kpkg#linux-image-}
[ -f "$stage/boot/vmlinuz-$kver" ] || die "no /boot/vmlinuz-$kver in $kpkg"
zcat "$stage/boot/xen-$XENV-amd64.gz" >"$new/xen.elf"
cp "$stage/boot/vmlinuz-$kver" "$new/vmlinuz"

# --- root filesystems -------------------------------------------------------
busybox_root() { # DIR: a busybox userland
	local r=$1 a
	mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,run,tmp,root,mnt,boot,var/log,var/lib,usr/bin,usr/sbin}
	cp "$stage/bin/busybox" "$r/bin/busybox"
	for a in $("$stage/bin/busybox" --list); do
		[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
	done
	ln -s /run "$r/var/run"
	echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
	echo "root:x:0:" >"$r/etc/group"
}
copy_elf() { # ROOT FILE...: files from the stage, with their shared libraries
	local r=$1 f l
	shift
	for f in "$@"; do
		[ -e "$stage$f" ] || die "no $f in the packages"
		mkdir -p "$r${f%/*}"
		cp -L "$stage$f" "$r$f"
		# ldd does not list libgcc_s (glibc dlopens it for pthread_cancel; xl
		# create aborts half-way without it): it is added below.
		ldd "$stage$f" >"$stage/ldd.out" 2>&1 || die "ldd $f: $(cat "$stage/ldd.out")"
		if grep -q 'not found' "$stage/ldd.out"; then
			die "$f needs a library no package of the set has: $(grep 'not found' "$stage/ldd.out")"
		fi
		for l in $(grep -o '=> /[^ ]*' "$stage/ldd.out" | cut -c4-); do
			case $l in "$stage"/*) ;; *) die "$f: $l is not from the packages (add its package)" ;; esac
			l=${l#"$stage"}
			[ -e "$r$l" ] || { mkdir -p "$r${l%/*}"; cp -L "$stage$l" "$r$l"; }
		done
	done
}
export LD_LIBRARY_PATH=$stage/lib/$MA:$stage/usr/lib/$MA:$stage/usr/lib/xen-$XENV/lib

say "building dom0.cpio.gz"
R=$stage/dom0
busybox_root "$R"
xbin=/usr/lib/xen-$XENV/bin
copy_elf "$R" $xbin/xl $xbin/xenstored $xbin/xenconsoled $xbin/xen-init-dom0 $xbin/xen-cpuid \
	$xbin/xenpm $xbin/xenstore-control $xbin/libxl-save-helper /usr/bin/xenstore
mkdir -p "$R/lib64" "$R/lib/$MA"
cp -L "$stage/lib64/ld-linux-x86-64.so.2" "$R/lib64/"
cp -L "$stage/lib/$MA/libgcc_s.so.1" "$R/lib/$MA/"
for t in read write ls list exists rm chmod watch; do ln -s xenstore "$R/usr/bin/xenstore-$t"; done
for b in xl xen-cpuid xenpm xenstore-control; do ln -s ../lib/xen-$XENV/bin/$b "$R/usr/sbin/$b"; done
mkdir -p "$R/etc/xen"
cp -a "$stage/etc/xen/." "$R/etc/xen/"
# Modules, each after the ones it depends on (modinfo's "depends", so no depmod).
mods=$R/etc/hvxen-modules
: >"$mods"
add_module() {
	local name=$1 ko d
	ko=$(find "$stage/lib/modules" -name "$name.ko" -o -name "${name//_/-}.ko" | head -1)
	[ -n "$ko" ] || die "module $name is not in the extracted part of $kpkg"
	ko=${ko#"$stage"}
	grep -qx "$ko" "$mods" && return 0
	for d in $(modinfo -F depends "$stage$ko" | tr ',' ' '); do add_module "$d"; done
	mkdir -p "$R${ko%/*}"
	cp "$stage$ko" "$R$ko"
	echo "$ko" >>"$mods"
}
for m in xen_evtchn xenfs xen_privcmd xen_gntdev xen_gntalloc virtio_pci 9pnet_virtio 9p \
	loop xen_blkback; do
	add_module "$m"
done
# Xen's block hotplug script is bash and wants tools busybox lacks; this one
# does its job (a file target on a loop device, physical-device for blkback)
# in busybox sh, for the domUs with disks (hvkit move's boot test).
install -m 755 "$here/block-hotplug.sh" "$R/etc/xen/scripts/block"
install -m 755 "$here/dom0-init.sh" "$R/init"
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$new/dom0.cpio.gz"

say "building domU.cpio.gz"
U=$stage/domU
busybox_root "$U"
R=$U mods=$U/etc/hvxen-modules
: >"$mods"
add_module xen_blkfront
install -m 755 "$here/domu-init.sh" "$U/init"
(cd "$U" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$new/domU.cpio.gz"

{ echo "harness $harness"; echo "$versions"; } >"$new/manifest"
rm -rf "$img"
mv "$new" "$img"
# Old packages go: the cache holds one version of each.
for f in "$debs"/*.deb; do
	b=${f##*/}
	echo "$versions" | awk -v b="$b" '{ v = $2; gsub(/:/, "%3a", v); if (index(b, $1 "_" v "_") == 1) f = 1 } END { exit !f }' ||
		rm -f "$f"
done
say "image ready: $(du -sh "$img" | cut -f1) ($(wc -l <"$img/manifest") packages, kernel $kver)"
