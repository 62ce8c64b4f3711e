#!/usr/bin/env bash
# One-time set-up on Debian/Ubuntu: libtorch, OpenBLAS and libjpeg-turbo from the distribution,
# then the npm packages (which build the native bindings and compile the TypeScript).
#   bash scripts/setup.sh            what training needs
#   bash scripts/setup.sh --dev      also what the tests and benchmarks compare against
#                                    (Debian's PyTorch and Pillow) and Chromium for the
#                                    explore page's browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libtorch-dev libopenblas0-openmp libjpeg62-turbo-dev)
if [[ ${1:-} == --dev ]]; then
  packages+=(python3-torch python3-pil chromium)
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
npm ci
