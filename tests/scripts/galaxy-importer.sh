#!/usr/bin/env bash
# Run the Galaxy importer (the check Galaxy / Automation Hub runs on upload) on the built tarball and fail on
# any warning or error it reports, not only on a failed import. Usage: galaxy-importer.sh <python> <tarball>
set -euo pipefail
py="$1"; tarball="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '[galaxy-importer]\nCHECK_REQUIRED_TAGS=True\nRUN_ANSIBLE_TEST=False\n' > "$work/galaxy-importer.cfg"
(cd "$work" && GALAXY_IMPORTER_CONFIG="$work/galaxy-importer.cfg" "$py" -m galaxy_importer.main "$tarball") > "$work/import.log" 2>&1 \
  || { cat "$work/import.log"; exit 1; }
if grep -qE '^(WARNING|ERROR)' "$work/import.log" || ! grep -q 'Importer processing completed successfully' "$work/import.log"; then
  cat "$work/import.log"
  echo "galaxy-importer reported problems (above)" >&2
  exit 1
fi
echo "galaxy-importer: $(basename "$tarball") imports cleanly"
