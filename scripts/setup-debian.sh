#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (run once, as root, on Debian 12).
# --no-install-recommends matters: wireguard-tools would otherwise pull a kernel image.
set -euo pipefail
packages=(lz4 iproute2 nftables iputils-ping iperf3 wireguard-go wireguard-tools procps bird2 chromium clang llvm libbpf-dev bpftool)
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
