#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: descope_flow_info
short_description: List Descope flows, optionally with their canonical documents
version_added: 0.1.0
description:
  - Lists the flows of a Descope project (id, name, description, disabled).
  - With O(include_content=true), also exports each flow and returns the canonical document
    (as C(descope flow export) writes it) and its fingerprint, as computed by M(flowops.flows.descope_flow).
  - Never changes anything.
author:
  - flowops.flows contributors (@flowops)
extends_documentation_fragment:
  - flowops.flows.descope
  - flowops.flows.common
  - flowops.flows.common.info_attributes
options:
  flow_id:
    description:
      - Only these flows (one id or a list). Ids that do not exist are left out of the result.
    type: list
    elements: str
  include_content:
    description:
      - Also export each listed flow and return RV(flows[].content) and RV(flows[].fingerprint).
      - One export call per flow, up to O(parallel) at a time.
    type: bool
    default: false
notes:
  - O(backup_dir) is accepted for uniformity with the other modules and not used.
seealso:
  - module: flowops.flows.descope_flow
"""

EXAMPLES = r"""
- name: List the flows of a project
  flowops.flows.descope_flow_info:
    project_id: "{{ descope_project_id }}"
    management_key: "{{ descope_management_key }}"
  delegate_to: localhost
  register: descope_flows

- name: Fingerprint two flows
  flowops.flows.descope_flow_info:
    project_id: "{{ descope_project_id }}"
    management_key: "{{ descope_management_key }}"
    flow_id: [sign-up-or-in, sign-in]
    include_content: true
  delegate_to: localhost
  register: descope_flow_docs

- name: Show the fingerprints
  ansible.builtin.debug:
    msg: "{{ descope_flow_docs.flows | items2dict(key_name='id', value_name='fingerprint') }}"
"""

RETURN = r"""
flows:
  description: The flows, sorted by id.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The flow id.
      type: str
      sample: sign-up-or-in
    name:
      description: The flow name.
      type: str
      sample: Sign Up or In
    description:
      description: The flow description (empty when none).
      type: str
      sample: ""
    disabled:
      description: Whether the flow is disabled.
      type: bool
      sample: false
    content:
      description: The canonical v2 document (as C(descope flow export) writes it); C(null) if the flow vanished meanwhile.
      type: dict
      returned: O(include_content=true)
    fingerprint:
      description: C(sha256:) of the normalised document, comparable with RV(flowops.flows.descope_flow#module:flows[].fingerprint).
      type: str
      returned: O(include_content=true)
      sample: sha256:0f1e2d...
"""

from ansible_collections.flowops.flows.plugins.module_utils._descope import CONNECTION_SPEC, client_from_params, plan_info_flow
from ansible_collections.flowops.flows.plugins.module_utils._module import run_module

ARGUMENT_SPEC = {
    "flow_id": {"type": "list", "elements": "str"},
    "include_content": {"type": "bool", "default": False},
}


def main():
    run_module(ARGUMENT_SPEC, CONNECTION_SPEC, client_from_params, {"info": plan_info_flow})


if __name__ == "__main__":
    main()
