#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: davinci_variable
short_description: Manage PingOne DaVinci variables
version_added: 0.1.0
description:
  - Creates, updates or deletes one DaVinci variable, identified by O(name), O(context) and (for the V(flow) context) O(flow).
  - Values of V(secret) variables cannot be read back from the API, so they cannot be compared; see O(update_secret).
author:
  - flowops.flows contributors (@flowops)
extends_documentation_fragment:
  - flowops.flows.davinci
  - flowops.flows.common
  - flowops.flows.common.attributes
options:
  name:
    description:
      - Variable name, without the C(##SK##) context suffix.
    type: str
    required: true
  context:
    description:
      - Variable context. V(secret) variables must use V(company).
    type: str
    choices: [company, flow, flowInstance, user]
    default: company
  flow:
    description:
      - Required when O(context=flow), not allowed otherwise. The id or the exact name of the flow that owns the variable.
    type: str
  data_type:
    description:
      - Type of the variable. Required to create it; defaults to the current type when updating.
    type: str
    choices: [boolean, number, object, secret, string]
  value:
    description:
      - The value. Left as it is when not set.
      - For V(secret) variables, see O(update_secret).
    type: raw
  display_name:
    description:
      - Display name in the DaVinci console.
    type: str
  mutable:
    description:
      - Whether flows may change the value at run time. Must be V(true) when no O(value) is set.
    type: bool
    default: true
  min:
    description:
      - Minimum length or value.
    type: int
  max:
    description:
      - Maximum length or value.
    type: int
  update_secret:
    description:
      - For V(secret) variables only. V(on_create) sets O(value) when the variable is created and never compares or rewrites it afterwards.
      - V(always) writes O(value) on every run and therefore always reports changed (like C(enforce_secure_data) of
        C(community.grafana.grafana_datasource)), because a stored secret cannot be read back to compare.
    type: str
    choices: [on_create, always]
    default: on_create
  state:
    description:
      - Whether the variable should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: A company variable with the sign-on page URL
  flowops.flows.davinci_variable:
    environment_id: "{{ environment_id }}"
    client_id: "{{ pingone_client_id }}"
    client_secret: "{{ pingone_client_secret }}"
    name: signOnUrl
    context: company
    data_type: string
    value: https://login.example.com
  delegate_to: localhost

- name: A secret, set once
  flowops.flows.davinci_variable:
    name: apiKey
    data_type: secret
    value: "{{ vault_api_key }}"
  delegate_to: localhost

- name: A flow-context counter
  flowops.flows.davinci_variable:
    name: attempts
    context: flow
    flow: PingOne Sign On
    data_type: number
    min: 0
    max: 10
  delegate_to: localhost

- name: Remove a variable
  flowops.flows.davinci_variable:
    name: signOnUrl
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
flows:
  description: The result entry of the variable as a one-element list, the result shape of M(flowops.flows.davinci_flow).
  returned: always
  type: list
  elements: dict
  contains:
    backup_file:
      description: Backup of the previous variable (with O(backup_dir)).
      type: str
variable:
  description: What happened to the variable.
  returned: always
  type: dict
  contains:
    id:
      description: Variable id (null when check mode would create it).
      type: str
    name:
      description: Variable name.
      type: str
    action:
      description: What happened (or would happen in check mode).
      type: str
      choices: [created, updated, unchanged, deleted, absent]
    fingerprint:
      description: SHA-256 of the compared form (secret values excluded).
      type: str
    changes:
      description:
        - What differs, as short sentences a person understands (the task, screen, node or variable and the field),
          computed from the compared documents with secret values masked; returned always, also without diff mode (C(--diff)).
        - Empty for an unchanged flow; at most 50 sentences (the last then says how many more there are).
        - The same sentences as the P(flowops.flows.flow_changes#filter) filter gives for the C(diff) returned in diff mode.
      type: list
      elements: str
      returned: O(state=present) and O(state=absent), for each flow that was compared
      sample: ["task 2 'Verify email' (action.sendEmail): settings.subject changed from 'Hi' to 'Welcome'"]
    backup_file:
      description: Backup of the previous variable (with O(backup_dir)).
      type: str
diff:
  description: Before/after of the compared forms, secret values masked.
  returned: changed and diff mode
  type: list
  elements: dict
msg:
  description: Summary.
  returned: always
  type: str
"""

from ansible_collections.flowops.flows.plugins.module_utils._davinci import (
    CONNECTION_SPEC,
    client_from_params,
    plan_absent_variable,
    plan_present_variable,
)
from ansible_collections.flowops.flows.plugins.module_utils._module import run_module

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "context": {"type": "str", "default": "company", "choices": ["company", "flow", "flowInstance", "user"]},
    "flow": {"type": "str"},
    "data_type": {"type": "str", "choices": ["boolean", "number", "object", "secret", "string"]},
    "value": {"type": "raw"},
    "display_name": {"type": "str"},
    "mutable": {"type": "bool", "default": True},
    "min": {"type": "int"},
    "max": {"type": "int"},
    "update_secret": {"type": "str", "default": "on_create", "choices": ["on_create", "always"], "no_log": False},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}


def main():
    run_module(ARGUMENT_SPEC, CONNECTION_SPEC, client_from_params, {"present": plan_present_variable, "absent": plan_absent_variable})


if __name__ == "__main__":
    main()
