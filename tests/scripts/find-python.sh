#!/usr/bin/env bash
# Print the path of a working Python interpreter of one of the given minor versions (first match wins).
# Usage: find-python.sh 3.12 3.13
set -euo pipefail
for ver in "$@"; do
  for cand in "python${ver}" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"${ver}".*/bin/python"${ver}" /usr/bin/python"${ver}" /usr/local/bin/python"${ver}"; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys, venv, ensurepip' >/dev/null 2>&1; then
      command -v "$cand"
      exit 0
    fi
  done
done
echo "no working Python interpreter found among: $*" >&2
exit 1
