#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: davinci_flow_info
short_description: List PingOne DaVinci flows, their versions and content
version_added: 0.1.0
description:
  - Lists the DaVinci flows of a PingOne environment, or one flow given by O(flow_id) or O(name).
  - Optionally lists the versions of the selected flow and returns its portable (normalised, environment-independent) content.
  - Read-only.
author:
  - flowops.flows contributors (@flowops)
extends_documentation_fragment:
  - flowops.flows.davinci
  - flowops.flows.common
  - flowops.flows.common.info_attributes
options:
  flow_id:
    description:
      - Only this flow.
    type: str
  name:
    description:
      - Only the flow with this exact name. Two flows with that name are an error.
    type: str
  versions:
    description:
      - Also list the versions of each selected flow (one API call per flow).
    type: bool
    default: false
  content:
    description:
      - Also return the portable content of the current version of each selected flow, as O(flowops.flows.davinci_flow#module:state=exported)
        would write it (without variable values).
    type: bool
    default: false
seealso:
  - module: flowops.flows.davinci_flow
"""

EXAMPLES = r"""
- name: List all flows
  flowops.flows.davinci_flow_info:
    environment_id: "{{ environment_id }}"
    client_id: "{{ pingone_client_id }}"
    client_secret: "{{ pingone_client_secret }}"
  delegate_to: localhost
  register: davinci_flows

- name: Versions and content of one flow
  flowops.flows.davinci_flow_info:
    name: PingOne Sign On
    versions: true
    content: true
  delegate_to: localhost
"""

RETURN = r"""
flows:
  description: The selected flows.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Flow id.
      type: str
      sample: 8d7ec5e438e76128c6388c045348c47e
    name:
      description: Flow name.
      type: str
    description:
      description: Flow description.
      type: str
    current_version:
      description: The latest saved version.
      type: int
    published_version:
      description: The deployed version; null when never deployed.
      type: int
    enabled:
      description: Whether the flow is enabled.
      type: bool
    trigger:
      description: 'The flow trigger, such as C({"type": "AUTHENTICATION"}).'
      type: dict
    backup_file:
      description: Always null; this read-only module writes no backups (the key keeps the result shape of M(flowops.flows.davinci_flow)).
      type: str
    versions:
      description: The flow's versions (with O(versions=true)).
      type: list
      elements: dict
      returned: versions is true
    content:
      description: Portable content of the current version (with O(content=true)).
      type: dict
      returned: content is true
    subflows:
      description: Portable content of the subflows the flow uses, by name (with O(content=true)).
      type: dict
      returned: content is true
"""

from ansible_collections.flowops.flows.plugins.module_utils._davinci import CONNECTION_SPEC, client_from_params, plan_info_flow
from ansible_collections.flowops.flows.plugins.module_utils._module import run_module

ARGUMENT_SPEC = {
    "flow_id": {"type": "str"},
    "name": {"type": "str"},
    "versions": {"type": "bool", "default": False},
    "content": {"type": "bool", "default": False},
}


def main():
    run_module(ARGUMENT_SPEC, CONNECTION_SPEC, client_from_params, {"info": plan_info_flow}, mutually_exclusive=[("flow_id", "name")])


if __name__ == "__main__":
    main()
