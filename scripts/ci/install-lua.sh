#!/usr/bin/env bash
# Installs the Lua interpreters that test/unit/manifests/argocd-health.test.ts runs the Argo CD
# health script with: lua5.1 (the dialect of gopher-lua, which Argo CD embeds) and lua5.4.
# Idempotent and quick: does nothing when both are present; runs apt-get update only when the
# package lists do not know the packages yet.
set -euo pipefail

missing=()
for version in 5.1 5.4; do
  command -v "lua${version}" >/dev/null 2>&1 || missing+=("lua${version}")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
install() {
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
if ! install 2>/dev/null; then
  "${sudo[@]}" apt-get update -qq >/dev/null
  install
fi
for package in "${missing[@]}"; do
  command -v "${package}" >/dev/null 2>&1 || { echo "install-lua.sh: ${package} is still missing" >&2; exit 1; }
done
echo "install-lua.sh: installed ${missing[*]}"
