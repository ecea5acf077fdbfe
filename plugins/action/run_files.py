# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""run_files: create a run's local folders and write its report files on the controller, in one task.

The roles keep their artifacts (reports, backups, staging folders) on the controller. ``ansible.builtin.file`` and
``ansible.builtin.copy`` start a module process for each folder and file (``copy`` two: a stat, then the copy), about
half a second each; this action does the same work in the controller's process. Internal to the collection's roles;
its options are documented on the docs-only module page ``plugins/modules/run_files.py``.

Options (already templated by Ansible): ``directories`` (absolute paths, created with their parents; the last
component gets ``directory_mode``, default 0700), ``files`` (each ``path``, absolute, and ``content``, text; written
atomically, and only when the bytes differ, with ``mode``, default 0644) and ``copy`` (files or folders copied into
the folder ``copy_to``, with their modes, like ``cp -rp``). Local artifacts, not changes to the
environment: the result is ``changed=false`` with the files written in ``written``. In check mode nothing is written
(``written`` says what would be); the roles run it with ``check_mode: false``, as they ran ``file`` and ``copy``.
"""

from __future__ import annotations

import os
import shutil

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.flowops.flows.plugins.module_utils._document import DocumentError, differs, write_if_changed
from ansible_collections.flowops.flows.plugins.plugin_utils._action import ControllerAction

ARGUMENT_SPEC = {
    "directories": {"type": "list", "elements": "path", "default": []},
    "directory_mode": {"type": "raw", "default": "0700"},
    "copy": {"type": "list", "elements": "path", "default": []},
    "copy_to": {"type": "path"},
    "files": {
        "type": "list", "elements": "dict", "default": [],
        "options": {
            "path": {"type": "path", "required": True},
            "content": {"type": "str", "required": True},
            "mode": {"type": "raw", "default": "0644"},
        },
    },
}


def _mode(value, what):
    """An octal mode given as text (``"0700"``) or as an int (YAML's 0700 is already octal)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value), 8)
    except ValueError:
        raise AnsibleActionFail("run_files: %s must be an octal mode such as 0700, got %r" % (what, value)) from None


def _absolute(path, what):
    if not os.path.isabs(path):
        raise AnsibleActionFail("run_files: %s must be an absolute path, got %s" % (what, path))
    return path


def _copy(sources, folder):
    """Copy each file or folder of ``sources`` into ``folder`` (modes kept). Returns the paths made."""
    made = []
    for source in sources:
        target = os.path.join(folder, os.path.basename(source.rstrip(os.sep)))
        if os.path.isdir(source):
            shutil.copytree(source, target, dirs_exist_ok=True)
        elif os.path.isfile(source):
            os.makedirs(folder, exist_ok=True)
            shutil.copy2(source, target)
        else:
            raise AnsibleActionFail("run_files: copy: %s: no such file or folder" % source)
        made.append(target)
    return made


def make_files(directories, directory_mode, files, check_mode=False, copy=(), copy_to=None):
    """Create ``directories``, write ``files`` and copy ``copy`` into ``copy_to`` (pure of Ansible: unit-tested).
    Returns the paths written (in check mode: the files that would be, and nothing is written or copied)."""
    if copy and not copy_to:
        raise AnsibleActionFail("run_files: copy needs copy_to (the folder to copy into)")
    for index, source in enumerate(copy):
        _absolute(source, "copy[%d]" % index)
    if copy_to:
        _absolute(copy_to, "copy_to")
    for index, directory in enumerate(directories):
        _absolute(directory, "directories[%d]" % index)
    for index, entry in enumerate(files):
        _absolute(entry["path"], "files[%d].path" % index)
    dir_mode = _mode(directory_mode, "directory_mode")
    modes = [_mode(entry["mode"], "files[%d].mode" % index) for index, entry in enumerate(files)]
    try:
        if check_mode:
            return [entry["path"] for entry in files if differs(entry["path"], entry["content"])]
        for directory in directories:
            os.makedirs(directory, exist_ok=True)
            os.chmod(directory, dir_mode)
        written = [entry["path"] for entry, mode in zip(files, modes) if write_if_changed(entry["path"], entry["content"], mode=mode)]
        return written + _copy(copy, copy_to)
    except OSError as exc:
        raise AnsibleActionFail("run_files: %s: %s" % (exc.filename or "", to_text(exc.strerror or exc))) from None
    except DocumentError as exc:
        raise AnsibleActionFail("run_files: %s" % to_text(exc)) from None


class ActionModule(ControllerAction):
    """Create the run's folders and write its files on the controller (see the module docstring)."""

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def act(self, params, task_vars):
        written = make_files(params["directories"], params["directory_mode"], params["files"], bool(self._task.check_mode),
                             params["copy"], params["copy_to"])
        return {"changed": False, "written": written,
                "msg": "%d written (%d file(s), %d copied), %d folder(s)" % (
                    len(written), len(params["files"]), len(params["copy"]), len(params["directories"]))}
