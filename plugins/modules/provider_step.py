#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the provider_step action (plugins/action/provider_step.py); there is no module code.

from __future__ import annotations

DOCUMENTATION = r"""
module: provider_step
short_description: Run one step of the collection's roles with the module of the host's provider (internal)
version_added: 0.2.0
description:
  - The task behind every step of the roles (list, export, apply, remove, ...) for every provider. The role
    C(flowops.flows.provider) describes each provider's steps as data (C(provider_steps), the module and its
    options), and this action runs the module of the host's provider, so a step is one task in the play's output
    whatever the provider.
  - Internal to the roles; playbooks call the modules (M(flowops.flows.descope_flow), M(flowops.flows.davinci_flow),
    M(flowops.flows.koreai_workflow), ...) directly.
  - Its result is the step's outcome, built from the module runs' results.
author:
  - flowops.flows contributors (@flowops)
options:
  module:
    description:
      - The module to run, a module of this collection (short name) or a fully qualified name.
      - Leave it out for a step that only answers O(flows).
    type: str
  args:
    description: The module's options.
    type: dict
    default: {}
  each:
    description:
      - Run the module once per entry, each entry's options over O(args).
      - A list of dicts, or its JSON text (as a Jinja loop in the provider table renders it).
      - An empty list runs nothing.
    type: raw
  run:
    description: Whether to run the step; V(false) skips it (nothing to do).
    type: bool
    default: true
  flows:
    description: The outcome's RV(flows) of a step without a module (for example a list from the inventory).
    type: list
    elements: dict
  connection:
    description: Module options that connect to the provider, under O(args) (O(args) wins).
    type: dict
    default: {}
  no_change:
    description: Report C(changed=false) (a local artifact or a prediction, not a change to the environment).
    type: bool
    default: false
  writes:
    description:
      - The step writes to the provider (apply, remove). A module run that ends without its report (the module crashed,
        or running it raised an error) may have written before it ended, so the outcome is failed and changed, and the
        caller's rollback runs.
    type: bool
    default: false
  keys:
    description: The flows the step concerns; the first part of RV(flow_keys).
    type: list
    elements: raw
    default: []
attributes:
  action:
    description: Runs as an action plugin on the controller.
    support: full
  check_mode:
    description: The module runs in check mode when the task does.
    support: full
  diff_mode:
    description: The module's diffs are returned when the task runs with C(--diff).
    support: full
  platform:
    description: Runs on the controller.
    support: full
    platforms: posix
notes:
  - The modules' C(invocation) (their options, connection included) is left out of the result.
seealso:
  - module: flowops.flows.descope_flow
  - module: flowops.flows.davinci_flow
  - module: flowops.flows.koreai_workflow
"""

EXAMPLES = r"""
- name: Export the flows of this step with the module of the host's provider
  flowops.flows.provider_step:
    module: descope_flow
    args:
      state: exported
      flow_id: [sign-in, sign-up]
      dest: /tmp/staging/
    connection:
      project_id: "{{ descope_project_id }}"
      management_key: "{{ descope_management_key }}"
    no_change: true
    keys: [sign-in, sign-up]
  register: provider_raw
"""

RETURN = r"""
flows:
  description: The C(flows) entries of every module run, in order.
  returned: always
  type: list
  elements: dict
diff:
  description: The diffs of every module run (with C(--diff)).
  returned: always
  type: list
  elements: dict
flow_keys:
  description: O(keys), then every subflow the flows name, each once.
  returned: always
  type: list
  elements: raw
msg:
  description: The failed runs' messages, or the module's message.
  returned: always
  type: str
results:
  description: Each module run's result, when O(each) ran the module more than once.
  returned: when more than one module run
  type: list
  elements: dict
"""
