#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: koreai_workflow_info
short_description: Read Kore.ai AI for Process workflows and job states
version_added: 0.1.0
description:
  - For each workflow in O(workflow_ids), runs an export job and reads the package in memory, returning its fingerprint,
    per-file fingerprints, variable names, the job timings and (with O(include_content)) the three documents.
  - Or returns the state of one asynchronous job given its O(dock_status_id).
  - Read-only towards the workflows (an export job is the only way the public API reads a workflow); nothing is written to disk.
author:
  - flowops.flows contributors (@flowops)
options:
  workflow_ids:
    description:
      - Workflow ids (C(a-<uuid>)) to read. The API exports the deployed version, or the latest version of a workflow never deployed.
    type: list
    elements: str
  include_content:
    description:
      - Also return the three normalised documents. Values of variables marked secure are left out, as in the files
        written by M(flowops.flows.koreai_workflow).
    type: bool
    default: false
  dock_status_id:
    description:
      - A dock status id (C(ds-<uuid>)) returned by an export, import or deploy; its current state is returned as RV(dock_status).
    type: str
extends_documentation_fragment:
  - flowops.flows.koreai
  - flowops.flows.common
  - flowops.flows.common.info_attributes
notes:
  - O(parallel) bounds how many exports run at once. O(backup_dir) is accepted and ignored (nothing is written).
seealso:
  - module: flowops.flows.koreai_workflow
"""

EXAMPLES = r"""
- name: Fingerprint two workflows
  flowops.flows.koreai_workflow_info:
    base_url: https://agent-platform.kore.ai
    api_key: "{{ koreai_api_key }}"
    workflow_ids:
      - a-1f0c7d52-7b9e-5c2d-9a41-3e8b0f6d2c11
      - a-9d3e61aa-0b7c-5f18-8e2d-4c6a1b7e9f00
  delegate_to: localhost
  register: info

- name: Compare dev and prod by fingerprint
  ansible.builtin.debug:
    msg: "{{ info.flows | map(attribute='fingerprint') | list }}"

- name: Look up one job
  flowops.flows.koreai_workflow_info:
    base_url: https://agent-platform.kore.ai
    api_key: "{{ koreai_api_key }}"
    dock_status_id: ds-2b8f51c4-6d0e-5a37-9c12-7e4f0a3b6d58
  delegate_to: localhost
"""

RETURN = r"""
flows:
  description: One entry per workflow of O(workflow_ids), in the same order (named like the other info modules' results).
  returned: always
  type: list
  elements: dict
  contains:
    workflow_id:
      description: The workflow id.
      type: str
      returned: always
    fingerprint:
      description:
        - C(sha256:) of the canonical normalised package (equal fingerprints mean equal packages).
        - Values of variables marked secure are not part of it (they are not compared), so two environments with their own
          secrets can have equal fingerprints.
      type: str
      returned: always
    files:
      description: C(sha256:) fingerprint of each normalised document, by file name.
      type: dict
      returned: always
    env_variables:
      description: Names of the environment variables.
      type: list
      elements: str
      returned: always
    secure_variables:
      description: Names of the environment variables marked secure.
      type: list
      elements: str
      returned: always
    jobs:
      description: The export jobs run, with dock status id, export job id, final status, number of polls and seconds.
      type: list
      elements: dict
      returned: always
    content:
      description: The three normalised documents by file name, values of secure variables left out.
      type: dict
      returned: when O(include_content=true)
    backup_file:
      description: Always V(null); this module writes nothing (present for symmetry with the other modules' results, see O(backup_dir)).
      type: str
      returned: always
dock_status:
  description: The state of the job O(dock_status_id).
  returned: when O(dock_status_id) is set
  type: dict
  contains:
    dock_status_id:
      description: The dock status id.
      type: str
      returned: always
    status:
      description: V(IN_PROGRESS), V(SUCCESS) or V(FAILED).
      type: str
      returned: always
    action:
      description: V(IMPORT), V(EXPORT), V(DEPLOY) or V(UNDEPLOY).
      type: str
      returned: always
    job_type:
      description: V(WORKFLOWS) (or V(TOOLS)).
      type: str
      returned: always
    workflow_id:
      description: The workflow of the job.
      type: str
      returned: always
    export_job_id:
      description: The export job id of an export.
      type: str
      returned: always
    percentage_complete:
      description: Progress, when the API reports it.
      type: int
      returned: always
    reason:
      description: Why a FAILED job failed, as far as the status tells.
      type: str
      returned: always
    has_download_url:
      description: Whether the status carries a download URL (the URL itself is a credential and is not returned).
      type: bool
      returned: always
"""

from ansible_collections.flowops.flows.plugins.module_utils._koreai import CONNECTION_SPEC, client_from_params, plan_info_workflow
from ansible_collections.flowops.flows.plugins.module_utils._module import run_module

ARGUMENT_SPEC = {
    "workflow_ids": {"type": "list", "elements": "str"},
    "include_content": {"type": "bool", "default": False},
    "dock_status_id": {"type": "str"},
}


def main():
    run_module(ARGUMENT_SPEC, CONNECTION_SPEC, client_from_params, {"info": plan_info_workflow},
               required_one_of=[("workflow_ids", "dock_status_id")])


if __name__ == "__main__":
    main()
