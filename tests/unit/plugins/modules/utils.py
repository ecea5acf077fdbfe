# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in-process and return its JSON result (works on ansible-core 2.16 .. 2.21)."""

from __future__ import annotations

import contextlib
import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:  # ansible-core >= 2.19
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # older cores read the arguments from basic._ANSIBLE_ARGS
    @contextlib.contextmanager
    def patch_module_args(args):
        saved = basic._ANSIBLE_ARGS  # pylint: disable=protected-access
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))  # pylint: disable=protected-access
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved  # pylint: disable=protected-access


@contextlib.contextmanager
def _as_module_process():
    """Run as a module process, not the controller: on ansible-core >= 2.19 importing any controller code (a filter
    plugin's test in the same worker) flips ``is_controller``, and module warnings then go to the controller's display
    instead of the result."""
    try:
        from ansible.module_utils import _internal  # pylint: disable=import-outside-toplevel
    except ImportError:  # ansible-core < 2.19
        yield
        return
    saved = getattr(_internal, "is_controller", False)
    _internal.is_controller = False
    try:
        yield
    finally:
        _internal.is_controller = saved


def _forget_warnings():
    """A module process starts with no warnings; in one test process they would pile up across modules (ansible-core
    keeps them in module-level collections: a dict on 2.19+, a list before)."""
    from ansible.module_utils.common import warnings  # pylint: disable=import-outside-toplevel

    for name in ("_global_warnings", "_global_deprecations"):
        held = getattr(warnings, name, None)
        if held is not None:
            held.clear()


def run_module(main, capfd, args, check_mode=False, diff=False):
    """Call ``main()`` with ``args``; return ``(exit_code, result_dict, raw_stdout)``."""
    args = dict(args)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    args.setdefault("_ansible_remote_tmp", "/tmp")
    args.setdefault("_ansible_keep_remote_files", False)
    _forget_warnings()
    with patch_module_args(args), _as_module_process():
        with pytest.raises(SystemExit) as exc:
            main()
    out, _err = capfd.readouterr()
    return exc.value.code, json.loads(out), out
