#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (Debian 12, as root). Idempotent: only
# the missing packages are installed, and with none missing it changes nothing (no apt-get
# update either). `npm test` runs it by itself as root when a package is missing
# (scripts/pretest.ts, which keeps its own list of the same packages: a test checks both).
# --quiet: print only errors (the caller has already said what is being installed).
# --no-install-recommends matters: wireguard-tools would otherwise pull a kernel image.
set -euo pipefail
packages=(lz4 iproute2 nftables iputils-ping iperf3 wireguard-go wireguard-tools procps bird2 chromium clang llvm libbpf-dev bpftool openssl)

quiet=0
if [[ "${1:-}" == "--quiet" ]]; then quiet=1; fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then missing+=("$pkg"); fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  if [[ $quiet -eq 0 ]]; then echo "setup-debian: all ${#packages[@]} packages are installed"; fi
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "setup-debian: missing ${missing[*]}; run as root: sudo scripts/setup-debian.sh" >&2
  exit 1
fi

if [[ $quiet -eq 0 ]]; then echo "setup-debian: installing ${missing[*]}"; fi
export DEBIAN_FRONTEND=noninteractive
if [[ $quiet -eq 1 ]]; then
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
