#!/usr/bin/env bash
# Copy the collection (tracked and untracked-but-not-ignored files) to <dest>/ansible_collections/flowops/flows,
# the layout ansible-test requires. Usage: copy-tree.sh <dest root>
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dest="$1/ansible_collections/flowops/flows"
rm -rf "$dest"
mkdir -p "$dest"
cd "$root"
if git rev-parse --git-dir >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -xf - -C "$dest"
else
  tar --exclude=.git --exclude=.venv --exclude='.venv-*' --exclude=.build --exclude=.ansible --exclude=collections \
      --exclude=tests/output --exclude=__pycache__ --exclude=.pytest_cache --exclude=reports -cf - . | tar -xf - -C "$dest"
fi
# ansible-test lists content through git; give the copy its own repository so it does not
# resolve to the enclosing checkout (where the copy is ignored).
git -C "$dest" init -q
git -C "$dest" add -A
echo "$dest"
