# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run_files action: a run's folders, report files and staged inputs, written on the controller."""

from __future__ import annotations

import os
import stat

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.flowops.flows.plugins.action.run_files import make_files


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_folders_get_their_mode_and_files_are_written_only_when_they_differ(tmp_path):
    run = tmp_path / "backups" / "20261207T180000Z"
    report = tmp_path / "reports" / "r.json"
    written = make_files([str(run)], "0700", [{"path": str(report), "content": "{}\n", "mode": "0644"}])
    assert written == [str(report)] and mode(run) == 0o700 and mode(report) == 0o644
    assert report.read_text(encoding="utf-8") == "{}\n"
    before = os.stat(report).st_mtime_ns
    assert make_files([str(run)], 0o700, [{"path": str(report), "content": "{}\n", "mode": "0644"}]) == []
    assert os.stat(report).st_mtime_ns == before   # same bytes: the file is left alone
    assert make_files([], "0700", [{"path": str(report), "content": "{\"a\": 1}\n", "mode": "0600"}]) == [str(report)]
    assert mode(report) == 0o600 and "a" in report.read_text(encoding="utf-8")


def test_check_mode_writes_nothing_and_says_what_would_change(tmp_path):
    report = tmp_path / "r.md"
    written = make_files([str(tmp_path / "d")], "0700", [{"path": str(report), "content": "x", "mode": "0644"}],
                         check_mode=True, copy=[str(tmp_path)], copy_to=str(tmp_path / "e"))
    assert written == [str(report)] and sorted(os.listdir(tmp_path)) == []


def test_check_mode_compares_bytes_and_fails_like_a_real_run_on_a_folder(tmp_path):
    same = tmp_path / "same.json"
    same.write_text("{}\n", encoding="utf-8")
    files = [{"path": str(same), "content": "{}\n", "mode": "0644"}, {"path": str(tmp_path / "new.json"), "content": "", "mode": "0644"}]
    assert make_files([], "0700", files, check_mode=True) == [str(tmp_path / "new.json")]
    for check_mode in (True, False):
        with pytest.raises(AnsibleActionFail, match="is a directory"):
            make_files([], "0700", [{"path": str(tmp_path), "content": "x", "mode": "0644"}], check_mode=check_mode)


def test_copy_keeps_names_modes_and_whole_folders(tmp_path):
    tree = tmp_path / "tree"
    (tree / "flows").mkdir(parents=True)
    (tree / "flows" / "sign-in.json").write_text("{}", encoding="utf-8")
    os.chmod(tree / "flows" / "sign-in.json", 0o600)
    (tree / "workflows" / "w1" / "env").mkdir(parents=True)
    (tree / "workflows" / "w1" / "env" / "vars.json").write_text("[]", encoding="utf-8")
    stage = tmp_path / "stage"
    made = make_files([], "0700", [], copy=[str(tree / "flows" / "sign-in.json"), str(tree / "workflows" / "w1")], copy_to=str(stage))
    assert made == [str(stage / "sign-in.json"), str(stage / "w1")]
    assert mode(stage / "sign-in.json") == 0o600
    assert (stage / "w1" / "env" / "vars.json").read_text(encoding="utf-8") == "[]"


@pytest.mark.parametrize("kwargs, message", [
    ({"directories": ["relative/dir"]}, "directories[0] must be an absolute path"),
    ({"files": [{"path": "r.json", "content": "", "mode": "0644"}]}, "files[0].path must be an absolute path"),
    ({"files": [{"path": "/tmp/x", "content": "", "mode": "rw"}]}, "files[0].mode must be an octal mode"),
    ({"copy": ["/no/such/flow.json"], "copy_to": "/tmp/flowops-unit-stage"}, "/no/such/flow.json: no such file or folder"),
    ({"copy": ["/etc/hostname"]}, "copy needs copy_to"),
])
def test_bad_input_is_refused_naming_the_option(kwargs, message):
    args = {"directories": [], "directory_mode": "0700", "files": []}
    args.update({k: v for k, v in kwargs.items() if k in args})
    with pytest.raises(AnsibleActionFail) as err:
        make_files(args["directories"], args["directory_mode"], args["files"], copy=kwargs.get("copy", ()), copy_to=kwargs.get("copy_to"))
    assert message in str(err.value)
