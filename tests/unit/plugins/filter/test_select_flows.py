# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The select_flows filter: ids, names, globs, tags and exclusions, the same for every provider."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.flowops.flows.plugins.filter.select_flows import FilterModule, select_flows

DESCOPE = [{"id": "sign-in-oauth", "name": "Sign In Oauth"}, {"id": "connector-flow", "name": "Connector Flow"},
           {"id": "role-flow", "name": "Role Flow"}]
DAVINCI = [{"name": "full-basic", "id": "f1"}, {"name": "abcd123-subflow-1", "id": "f2"}, {"name": "abcd123-subflow-2", "id": "f3"}]
TAGS = {"sign-in-oauth": ["login"], "Role Flow": ["admin", "experimental"], "connector-flow": "login, partners"}


def keys(**kwargs):
    return select_flows(DESCOPE, key="id", other_key="name", **kwargs)


def test_all_selects_everything_in_list_order():
    assert keys() == {"keys": ["sign-in-oauth", "connector-flow", "role-flow"], "missing": [], "all": True}
    assert keys(selection=["all"])["all"] is True


def test_ids_names_and_globs_match_the_key_or_the_other_key():
    assert keys(selection=["role-flow", "Sign In Oauth"])["keys"] == ["sign-in-oauth", "role-flow"]
    assert keys(selection="Connector*, sign-*")["keys"] == ["sign-in-oauth", "connector-flow"]
    assert keys(selection=["*-flow"])["keys"] == ["connector-flow", "role-flow"]
    assert keys(selection=["ROLE-FLOW"]) == {"keys": [], "missing": ["ROLE-FLOW"], "all": False}  # case-sensitive


def test_davinci_is_keyed_by_name():
    assert select_flows(DAVINCI, key="name", other_key="id", selection=["f1", "abcd123-*"])["keys"] == [
        "full-basic", "abcd123-subflow-1", "abcd123-subflow-2"]


def test_a_flow_may_be_its_key_alone():
    assert select_flows(["a-flow", "b-flow"], key="name", selection=["b-*"], tag_map={"a-flow": ["x"]}) == {
        "keys": ["b-flow"], "missing": [], "all": False}
    assert select_flows(["a-flow", "b-flow"], tags=["x"], tag_map={"a-flow": ["x"]})["keys"] == ["a-flow"]


def test_names_and_tags_that_match_nothing_are_missing_but_globs_are_not():
    result = keys(selection=["no-such-flow", "nothing-*"], tags=["nope"])
    assert result == {"keys": [], "missing": ["no-such-flow", "tag:nope"], "all": False}


def test_tags_keep_flows_with_any_of_the_tags_by_id_or_name():
    assert keys(tags=["login"], tag_map=TAGS)["keys"] == ["sign-in-oauth", "connector-flow"]
    assert keys(tags="admin,partners", tag_map=TAGS)["keys"] == ["connector-flow", "role-flow"]
    assert keys(selection=["sign-*"], tags=["login"], tag_map=TAGS)["keys"] == ["sign-in-oauth"]


def test_exclude_by_id_name_glob_and_tag_is_applied_last():
    assert keys(exclude=["tag:experimental"], tag_map=TAGS) == {"keys": ["sign-in-oauth", "connector-flow"], "missing": [], "all": False}
    assert keys(exclude=["Sign In Oauth", "conn*"])["keys"] == ["role-flow"]
    assert keys(selection=["role-flow"], exclude=["role-flow"])["keys"] == []
    assert keys(exclude=["unknown"])["keys"] == ["sign-in-oauth", "connector-flow", "role-flow"]


@pytest.mark.parametrize("kwargs, message", [
    ({"selection": {"a": 1}}, "selection must be a list"),
    ({"selection": [["nested"]]}, "selection entries must be strings"),
    ({"tag_map": ["login"]}, "tag_map must be a dict"),
    ({"tags": 3}, "tags must be a list"),
])
def test_bad_arguments_say_what_was_expected(kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        keys(**kwargs)


def test_bad_flows_are_refused():
    with pytest.raises(AnsibleFilterError, match="expects a list"):
        select_flows({"id": "x"})
    with pytest.raises(AnsibleFilterError, match="with a 'id' field"):
        select_flows([{"name": "no id"}])


def test_registered_as_a_filter():
    assert FilterModule().filters()["select_flows"] is select_flows
