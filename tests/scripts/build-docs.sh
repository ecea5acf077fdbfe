#!/usr/bin/env bash
# make docs: the collection's documentation site (modules, filter, roles and the user guides of docs/docsite)
# as static HTML. antsibull-docs renders the installed collection to reStructuredText (simplified-rst, which
# needs no Sphinx extension), then docutils turns each page into HTML; any docutils warning fails the build.
# Usage: build-docs.sh <python of the venv with antsibull-docs> <collections path> <output dir>
set -euo pipefail
py="$1"; collections="$2"; dest="$3"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rst"
PATH="$(dirname "$py"):$PATH" ANSIBLE_COLLECTIONS_PATH="$collections" antsibull-docs collection --use-current --fail-on-error \
  --output-format simplified-rst --squash-hierarchy --dest-dir "$work/rst" flowops.flows >/dev/null
rm -rf "$dest"
"$py" - "$work/rst" "$dest" <<'PY'
import pathlib, re, sys
from docutils.core import publish_file
src, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
pages = sorted(src.rglob("*.rst"))
for page in pages:
    text = page.read_text(encoding="utf-8")
    # With --squash-hierarchy, antsibull-docs still links other plugins of the collection as
    # ../../flowops/flows/<page> (in RST links and in raw HTML tables); in the squashed tree they are siblings.
    text = re.sub(r"(<|href=\")(?:\.\./)+flowops/flows/", r"\1", text)
    text = re.sub(r"(<[^<>`]+)\.rst>`_", r"\1.html>`_", text)
    out = dest / page.relative_to(src).with_suffix(".html")
    out.parent.mkdir(parents=True, exist_ok=True)
    publish_file(source=__import__("io").StringIO(text), source_path=str(page), destination_path=str(out), writer="html5",
                 settings_overrides={"halt_level": 2, "report_level": 2, "output_encoding": "utf-8", "embed_stylesheet": True})
# every relative link of the site must land on a page of it
broken = []
for page in dest.rglob("*.html"):
    for href in re.findall(r'href="([^"#:]+)(?:#[^"]*)?"', page.read_text(encoding="utf-8")):
        if not (page.parent / href).resolve().is_file():
            broken.append("%s -> %s" % (page.relative_to(dest), href))
if broken:
    sys.exit("docs: broken links:\n  " + "\n  ".join(broken))
print("docs: %d pages in %s (open %s)" % (len(pages), dest, dest / "index.html"))
PY
