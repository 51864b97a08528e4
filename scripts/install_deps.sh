#!/usr/bin/env bash
# Installs everything k8ts needs on a fresh Debian 12 machine (as root): Debian packages, then npm packages, then
# builds. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(etcd-server etcd-client iptables nftables iproute2 conntrack busybox-static containerd runc containernetworking-plugins umoci skopeo gcc libc6-dev docker-registry)

missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "building"
node scripts/gen_openapi.mjs
npx tsc -p tsconfig.json
