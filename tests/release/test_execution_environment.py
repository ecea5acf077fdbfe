# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""execution-environment.yml: `ansible-builder create` and `introspect` produce the build context users get.

No container runtime is needed: the context (Containerfile, requirements, the collection tarball) is checked,
then the tarball is installed the way the Containerfile's galaxy stage does it and introspected the way its
builder stage does it. `make release-tests` builds the tarball first (`make install`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EE_FILE = os.path.join(ROOT, "execution-environment.yml")
BIN = os.path.dirname(sys.executable)


def tool(name):
    found = shutil.which(name, path=BIN + os.pathsep + os.environ.get("PATH", ""))
    if not found:
        pytest.fail("%s is not installed: it is pinned in tests/requirements-dev.txt (make venv)" % name)
    return found


def pins(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return dict(line.split("==", 1) for line in (raw.split("#")[0].strip() for raw in f) if "==" in line)


def galaxy_version():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)["version"]


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    ctx = tmp_path_factory.mktemp("ee") / "context"
    proc = subprocess.run([tool("ansible-builder"), "create", "-f", EE_FILE, "-c", str(ctx), "--output-filename", "Containerfile"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No matches" not in proc.stdout + proc.stderr, "no collection tarball: run `make install` first\n" + proc.stdout
    return ctx


def test_definition_is_version_3_and_pins_the_tested_core():
    with open(EE_FILE, encoding="utf-8") as f:
        ee = yaml.safe_load(f)
    assert ee["version"] == 3
    assert ee["dependencies"]["ansible_core"]["package_pip"] == "ansible-core==" + pins("tests/requirements-dev.txt")["ansible-core"]


def test_containerfile_installs_core_runner_and_the_collection(context):
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', containerfile, re.M).group(1).split()
    assert "ansible-core==" + pins("tests/requirements-dev.txt")["ansible-core"] in refs
    assert any(ref.startswith("ansible-runner==") for ref in refs), refs
    assert re.search(r'^ARG PYCMD="/usr/bin/python3\.1[2-9]"', containerfile, re.M), "ansible-core 2.21 needs Python 3.12+"
    for step in ("ansible-galaxy collection install", "introspect.py introspect", "/output/scripts/assemble",
                 "/output/scripts/install-from-bindep"):
        assert step in containerfile, step


def test_context_holds_the_collection_tarball_that_requirements_name(context):
    with open(context / "_build" / "requirements.yml", encoding="utf-8") as f:
        collections = yaml.safe_load(f)["collections"]
    assert len(collections) == 1 and collections[0]["type"] == "file"
    # The galaxy stage copies _build to /build and installs from there.
    name = collections[0]["name"]
    assert name.startswith("/build/")
    tarball = context / "_build" / name[len("/build/"):]
    assert tarball.name == "flowops-flows-%s.tar.gz" % galaxy_version(), "execution-environment.yml names an old version"
    assert tarball.is_file(), "%s is not in the build context" % tarball
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    assert {"meta/execution-environment.yml", "requirements.txt", "meta/runtime.yml"} <= names
    assert not any(n.startswith("tests/") for n in names)


def test_introspect_finds_the_collection_python_requirements(context, tmp_path):
    tarball = next((context / "_build").glob("*/flowops-flows-*.tar.gz"))
    collections = tmp_path / "collections"
    # Only this path: a copy installed elsewhere (make install's) would make ansible-galaxy skip the install.
    env = dict(os.environ, ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_COLLECTIONS_PATH=str(collections),
               ANSIBLE_GALAXY_DISABLE_GPG_VERIFY="1")
    subprocess.run([tool("ansible-galaxy"), "collection", "install", "--force", "-p", str(collections), str(tarball)],
                   check=True, capture_output=True, env=env)
    out = tmp_path / "requirements.txt"
    proc = subprocess.run([tool("ansible-builder"), "introspect", str(collections), "--write-pip", str(out)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.is_file(), "introspect found no Python requirements:\n" + proc.stdout
    found = sorted(line.split("#")[0].strip() for line in out.read_text(encoding="utf-8").splitlines() if line.strip())
    with open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8") as f:
        expected = sorted(line.split("#")[0].strip() for line in f if line.split("#")[0].strip())
    assert found == expected
    assert "from collection flowops.flows" in out.read_text(encoding="utf-8")
