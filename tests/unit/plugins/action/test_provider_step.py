# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provider_step action: one task runs whichever module the host's provider defines for a step."""

from __future__ import annotations

from unittest import mock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.flowops.flows.plugins.action.provider_step import ActionModule, outcome


def action(args, answers):
    """An ActionModule for ``args`` whose module runs answer from ``answers`` (a list, in order)."""
    task = Task()
    task.args = args
    task.action = "flowops.flows.provider_step"
    task.check_mode = False
    play_context = mock.MagicMock()
    play_context.check_mode = False
    module = ActionModule(task, mock.MagicMock(), play_context, mock.MagicMock(), Templar(loader=mock.MagicMock()), mock.MagicMock())
    calls = []

    def execute_module(module_name=None, module_args=None, task_vars=None):
        calls.append((module_name, module_args))
        return dict(answers.pop(0))
    module._execute_module = execute_module
    return module, calls


def test_one_module_run_gets_the_connection_under_its_options_and_returns_the_outcome():
    module, calls = action({"module": "descope_flow", "args": {"state": "present", "src": "/s", "parallel": 8},
                            "connection": {"project_id": "P", "management_key": "K", "parallel": 4}, "keys": ["a"]},
                           [{"changed": True, "flows": [{"id": "a", "action": "updated"}], "diff": {"before": "1", "after": "2"},
                             "invocation": {"module_args": {"management_key": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}}, "msg": "1 updated"}])
    result = module.run(task_vars={})
    assert calls == [("flowops.flows.descope_flow", {"project_id": "P", "management_key": "K", "parallel": 8, "state": "present", "src": "/s"})]
    assert result["changed"] and not result["failed"] and result["flows"] == [{"id": "a", "action": "updated"}]
    assert result["diff"] == [{"before": "1", "after": "2"}] and result["flow_keys"] == ["a"] and result["msg"] == "1 updated"
    assert "invocation" not in result and "results" not in result


def test_each_runs_the_module_per_entry_and_keeps_going_after_a_failure():
    module, calls = action({"module": "koreai_workflow", "args": {"state": "present"}, "each": '[{"name": "a"}, {"name": "b"}]'},
                           [{"failed": True, "msg": "a: boom", "flows": [{"name": "a", "action": "failed"}]},
                            {"changed": True, "flows": [{"name": "b", "action": "updated", "subflows": ["c"]}], "warnings": ["w"]}])
    result = module.run(task_vars={})
    assert [args["name"] for _name, args in calls] == ["a", "b"]
    assert result["failed"] and result["msg"] == "a: boom" and result["changed"]
    assert [f["name"] for f in result["flows"]] == ["a", "b"] and result["flow_keys"] == ["c"]
    assert len(result["results"]) == 2 and result["warnings"] == ["w"]


MODULE_FAILURE = {"failed": True, "msg": "Module result deserialization failed.", "module_stdout": "", "module_stderr": "Killed", "rc": 137}


def test_a_writing_module_that_ends_without_its_report_counts_as_changed():
    module, _calls = action({"module": "descope_flow", "args": {"state": "present"}, "writes": True}, [MODULE_FAILURE])
    result = module.run(task_vars={})
    assert result["failed"] and result["changed"]   # it may have written: the caller's rollback must run
    assert "deserialization failed" in result["msg"] and "counted as changed" in result["msg"]
    # an uncaught exception in the module: ansible-core reports it without msg
    module, _calls = action({"module": "descope_flow", "args": {"state": "present"}, "writes": True},
                            [{"failed": True, "changed": False, "exception": "RuntimeError: boom after a write"}])
    result = module.run(task_vars={})
    assert result["failed"] and result["changed"] and "boom after a write" in result["msg"]
    # a module's own failure carries its report: it says itself whether it wrote
    module, _calls = action({"module": "descope_flow", "args": {"state": "present"}, "writes": True},
                            [{"failed": True, "msg": "a: unresolved placeholder", "changed": False, "flows": []}])
    result = module.run(task_vars={})
    assert result["failed"] and not result["changed"] and result["msg"] == "a: unresolved placeholder"
    # a step that does not write (an export, a list) is not changed by a crash
    module, _calls = action({"module": "descope_flow", "args": {"state": "exported"}}, [MODULE_FAILURE])
    result = module.run(task_vars={})
    assert result["failed"] and not result["changed"]


def test_an_error_running_one_entry_keeps_what_the_earlier_entries_wrote():
    module, calls = action({"module": "koreai_workflow", "args": {"state": "present"}, "writes": True,
                            "each": [{"name": "a"}, {"name": "b"}, {"name": "c"}]},
                           [{"changed": True, "flows": [{"name": "a", "action": "updated"}]}])

    def execute_module(module_name=None, module_args=None, task_vars=None):
        calls.append((module_name, module_args))
        if module_args["name"] == "b":
            raise RuntimeError("connection lost")
        return {"changed": False, "flows": [{"name": module_args["name"], "action": "unchanged"}]}

    first = module._execute_module
    module._execute_module = lambda **kwargs: first(**kwargs) if not calls else execute_module(**kwargs)
    result = module.run(task_vars={})
    assert [args["name"] for _name, args in calls] == ["a", "b", "c"]   # the entries after the error still run
    assert result["failed"] and result["changed"]
    assert "connection lost" in result["msg"] and [f["name"] for f in result["flows"]] == ["a", "c"]


def test_no_change_run_false_and_a_step_without_module():
    module, _calls = action({"module": "davinci_flow", "no_change": True}, [{"changed": True, "flows": []}])
    assert module.run(task_vars={})["changed"] is False
    module, calls = action({"module": "davinci_flow", "run": False, "keys": ["x"]}, [])
    result = module.run(task_vars={})
    assert result["skipped"] and calls == [] and result["flow_keys"] == ["x"]
    module, calls = action({"flows": [{"name": "a", "id": "1"}]}, [])
    result = module.run(task_vars={})
    assert calls == [] and result["flows"] == [{"name": "a", "id": "1"}] and not result["changed"]
    module, calls = action({"module": "koreai_workflow", "each": []}, [])
    assert module.run(task_vars={})["flows"] == [] and calls == []


@pytest.mark.parametrize("each", ["not json", '{"a": 1}', [1, 2]])
def test_each_must_be_a_list_of_option_dicts(each):
    module, _calls = action({"module": "koreai_workflow", "each": each}, [])
    with pytest.raises(AnsibleActionFail, match="each must be a list of option dicts"):
        module.run(task_vars={})


def test_outcome_keys_first_then_subflows_once():
    out = outcome([{"flows": [{"subflows": ["s", "k"]}, {"subflows": ["s"]}]}], ["k"], False)
    assert out["flow_keys"] == ["k", "s"] and out["changed"] is False and out["failed"] is False
