# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the real exported sample files are, for the emulator and end-to-end suites.

$FLOWOPS_SAMPLES_DIR, else the project's shared/samples beside the checkout (which also holds the
large DaVinci out-of-the-box flows in davinci/oob/), else the small subset vendored in
tests/fixtures/samples (Descope and the top-level DaVinci files, with their licences).
"""

from __future__ import annotations

import os

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
VENDORED = os.path.join(TESTS, "fixtures", "samples")


def samples_dir() -> str:
    candidates = [os.environ.get("FLOWOPS_SAMPLES_DIR", ""), os.path.join(os.path.dirname(ROOT), "shared", "samples"), VENDORED]
    for candidate in candidates:
        if candidate and os.path.isdir(os.path.join(candidate, "descope")):
            return candidate
    raise FileNotFoundError("no sample directory found (tried %s)" % ", ".join(c for c in candidates if c))


def sample(*parts: str) -> str:
    return os.path.join(samples_dir(), *parts)
