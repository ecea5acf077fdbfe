#!/usr/bin/env bash
# ansible-test bootstraps pip in each sanity venv by downloading get-pip.py from a host this
# machine cannot reach. Seed its cache with a stand-in that uses ensurepip and then installs
# the pinned pip from the package index (see shared reference ansible.md section 2.3).
# Usage: sanity-bootstrap.sh <python of the venv that has ansible-core>
set -euo pipefail
py="$1"
pipv=$("$py" - <<'PY'
import pathlib, re
import ansible_test
p = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([^']+)'", p.read_text()).group(1))
PY
)
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
cat > "$cache/get_pip_${pipv//./_}.py" <<'PY'
import ensurepip, os, subprocess, sys
ensurepip.bootstrap(upgrade=True)
os.environ.pop("PIP_CONFIG_FILE", None)   # ensurepip points it at os.devnull
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args]))
PY
echo "seeded $cache/get_pip_${pipv//./_}.py"
