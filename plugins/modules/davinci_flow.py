#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: davinci_flow
short_description: Export, import, promote and delete PingOne DaVinci flows
version_added: 0.1.0
description:
  - Exports a DaVinci flow version with its subflows to portable, canonical JSON files (O(state=exported)).
  - Imports flows into a PingOne environment idempotently with O(state=present), remapping environment-specific references on the way,
    namely connector instances, subflows, flow-context variable names and literal substitutions.
    Flows that already exist (same name, or O(flow_id)) are updated in place and keep their id; a flow that
    is unchanged is not written at all.
  - Deletes a flow (O(state=absent)).
  - Subflows are written before the flows that use them, and deleted after them.
author:
  - flowops.flows contributors (@flowops)
extends_documentation_fragment:
  - flowops.flows.davinci
  - flowops.flows.placeholders
  - flowops.flows.common
  - flowops.flows.common.attributes
  - flowops.flows.plan
  - flowops.flows.plan.prune
options:
  state:
    description:
      - V(present) makes the target hold the flows in O(src); V(absent) deletes the flow given by O(flow_id) or O(name);
        V(exported) writes the flow given by O(flow_id) or O(name) (or the flows of O(names)), and their subflows, to O(dest).
    type: str
    choices: [present, absent, exported]
    default: present
  src:
    description:
      - Required with O(state=present). A JSON file or a directory of C(*.json) files.
      - 'Accepted shapes are files written by O(state=exported), a PingOne API flow version export (subflows in C(_embedded)),
        and a legacy DaVinci export (a single flow, or C({"flows": [...]}) with subflows).'
      - Every flow is identified in the target by its exact name; two target flows with the same name are an error.
    type: path
  dest:
    description:
      - Required with O(state=exported). Directory that receives one file per flow, C(<dest>/<flow name>.json) (names made
        safe for file systems). A file is rewritten only when its content changes.
      - The files are portable. Connector-instance ids become C(@connection:<connection name>), subflow references become
        C(@flow:<flow name>) and flow-context variable names refer to C(@self); environment, version and linter data are left out.
    type: path
  flow_id:
    description:
      - Id of the flow to export or delete.
      - With O(state=present), the target flow to update when O(src) holds exactly one flow (the flow is then not matched by name).
    type: str
  name:
    description:
      - Exact name of the flow to export or delete, instead of O(flow_id). Two flows with that name are an error.
    type: str
  names:
    description:
      - With O(state=exported), the exact names of several flows to export in one run, instead of O(flow_id) or O(name).
        All of them share one token and one listing of flows and connections, and the exports run O(parallel) at a time.
      - Every name must exist (checked before the first export); a subflow used by several of them is written once.
    type: list
    elements: str
    version_added: 0.2.0
  version:
    description:
      - With O(state=exported), which version to export. V(current) (the latest saved version), V(published) (the deployed
        version), or a version number. Subflows that the export does not embed are exported at their current version.
    type: str
    default: current
  include_subflows:
    description:
      - With O(state=exported), also write every subflow the flow uses (recursively), one file each.
    type: bool
    default: true
  include_variable_values:
    description:
      - With O(state=exported), include variable values in the files.
      - Values may be secrets or per-environment settings; with V(true) they are written to disk in clear text (a warning is shown).
    type: bool
    default: false
  connection_map:
    description:
      - With O(state=present), maps a source connection (by name, or by the connector-instance id in a PingOne or legacy export)
        to the id of a connector instance in the target environment.
      - Connections not in the map are resolved by name among the target's connector instances (then, for bootstrapped
        connections, by identical id). Every connection left unresolved is reported in one error before anything is written,
        unless O(allow_unmapped_connections=true).
    type: dict
    default: {}
  allow_unmapped_connections:
    description:
      - Import nodes whose connection cannot be resolved, with a warning, instead of failing. Such nodes keep the source id
        (or lose the symbolic reference) and will not run until they are configured in the target.
    type: bool
    default: false
  substitutions:
    description:
      - Literal string replacements applied to every string value of the flows before they are compared and written, for
        URLs, host names and other values that differ per environment. The longest match is replaced first.
    type: dict
    default: {}
  deploy:
    description:
      - Deploy each flow (parents and subflows) whose published version is behind its current version, after writing.
    type: bool
    default: true
  enabled:
    description:
      - Enable or disable every flow in O(src). Left as it is when not set.
    type: bool
  ignore_layout:
    description:
      - Leave the designer layout (node positions, selection, pan, zoom and the flow colour) out of the comparison, so a
        flow that only moved on the canvas is not rewritten.
      - By default the layout is compared, like the Terraform providers do.
    type: bool
    default: false
notes:
  - The comparison ignores environment and version metadata (ids, versions, timestamps), linter output, the per-environment
    settings C(logLevel) and C(debugMode) (the target keeps its own), and treats empty values as absent. Flows with an
    C(AUTHENTICATION) trigger get their input schema from the server, so it is not compared.
  - Variables listed in a flow document are created in the target when missing (with their value if the document has one);
    existing variables and their values are left alone. Manage values with M(flowops.flows.davinci_variable).
  - "Per-environment values with O(values): placeholders anywhere in a flow's graph and settings are resolved and compared,
    including the values of save-variable nodes (C(saveFlowVariables), C(saveVariables)). A placeholder in a flow variable's
    value (C(variables[].fields.value)) sets the value the variable is created with, when the import creates it. The value
    of a variable that exists is managed per environment by M(flowops.flows.davinci_variable), with
    C(value: \"{{ flow_values.NAME }}\") from the same inventory dict (compared and updated on every run)."
  - Secrets do not belong in O(values) (they are shown in diffs); keep them in variables of type C(secret)
    (M(flowops.flows.davinci_variable), from a vault) and in the connections of the target environment, which the flow
    references by name (C(@connection:)).
  - Subflow references are resolved by subflow name in the target; subflow version pins are kept as they are.
  - A flow used by an application flow policy cannot be deleted; remove it from the policy first.
seealso:
  - module: flowops.flows.davinci_flow_info
  - module: flowops.flows.davinci_variable
"""

EXAMPLES = r"""
- name: Export the sign-on flow and its subflows to git-friendly files
  flowops.flows.davinci_flow:
    environment_id: "{{ dev_environment_id }}"
    client_id: "{{ pingone_client_id }}"
    client_secret: "{{ pingone_client_secret }}"
    region: EU
    name: PingOne Sign On
    state: exported
    dest: flows/davinci/dev
  delegate_to: localhost

- name: Back up several prod flows in one run (one token and one listing; credentials from PINGONE_* variables)
  flowops.flows.davinci_flow:
    environment_id: "{{ prod_environment_id }}"
    state: exported
    names: [PingOne Sign On, PingOne Registration]
    dest: backups/davinci/prod
    include_subflows: false
  delegate_to: localhost

- name: Promote them to production (connections resolved by name, one renamed)
  flowops.flows.davinci_flow:
    environment_id: "{{ prod_environment_id }}"
    client_id: "{{ pingone_client_id }}"
    client_secret: "{{ pingone_client_secret }}"
    region: EU
    src: flows/davinci/dev
    connection_map:
      "Http (dev)": 867ed4363b2bc21c860085ad2baa817d
    substitutions:
      https://login.dev.example.com: https://login.example.com
    backup_dir: backups
  delegate_to: localhost

- name: Apply a portable export (##LOGIN_HOST## and @@PROFILE_ATTRIBUTES@@ in the files) with this stage's values
  flowops.flows.davinci_flow:
    src: flows/davinci/
    values: "{{ flow_values }}"   # e.g. {LOGIN_HOST: login.example.com, PROFILE_ATTRIBUTES: [email, name]}
  delegate_to: localhost

- name: Export dev as a portable file tree (dev's values become placeholders)
  flowops.flows.davinci_flow:
    state: exported
    name: PingOne Sign On
    dest: flows/davinci/
    portable: true
    values: "{{ flow_values }}"
  delegate_to: localhost

- name: Import a legacy DaVinci export without deploying it
  flowops.flows.davinci_flow:
    src: exports/full-basic.json
    deploy: false
  delegate_to: localhost

- name: Delete a flow
  flowops.flows.davinci_flow:
    name: Old registration flow
    state: absent
  delegate_to: localhost

- name: Apply the entries of a reviewed plan file (written by the flowops.flows.flow_plan filter), deleting the other flows
  flowops.flows.davinci_flow:
    src: flows/davinci
    prune: true
    expect: "{{ (lookup('ansible.builtin.file', 'plan.json') | from_json).hosts[inventory_hostname].flows }}"
  delegate_to: localhost
"""

RETURN = r"""
flows:
  description: One entry per flow, subflows included, in processing order.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Flow id in the target (the source environment for O(state=exported)); null for a flow check mode would create.
      type: str
      sample: 8d7ec5e438e76128c6388c045348c47e
    name:
      description: Flow name.
      type: str
      sample: PingOne Sign On
    action:
      description:
        - What happened (or would happen in check mode). With O(state=present), C(deleted) is a flow O(prune) deletes.
      type: str
      sample: updated
      choices: [created, updated, unchanged, enabled, disabled, deployed, deleted, absent, exported, failed, skipped]
    changed:
      description:
        - Whether this flow was (or would be) written, deployed or enabled/disabled.
        - When the flow document was already as desired and only O(enabled) or the deploy changed the flow, C(action) says
          which (C(enabled), C(disabled) or C(deployed)); a flow whose document is written says C(created) or C(updated),
          with C(deployed) and C(enabled) as separate fields.
      type: bool
    version:
      description: The flow's current version in the target (the exported version for O(state=exported)).
      type: int
      sample: 3
    published_version:
      description: The deployed version, null if the flow was never deployed.
      type: int
      sample: 3
    deployed:
      description: Present and true when the flow was (or would be) deployed by this run.
      type: bool
      returned: when deployed
    enabled:
      description: Whether the flow is enabled.
      type: bool
    fingerprint:
      description:
        - SHA-256 of the normalised (compared) desired flow document, as a plan records it (O(expect)), read before any
          write of the task, with every subflow reference written as C(@flow:<name>), so check mode and the real run
          give the same value.
        - With O(state=absent), of the flow's current document.
      type: str
      sample: sha256:0f3c...
    current_fingerprint:
      description:
        - The same fingerprint of the target's document before the task; V(null) when the flow did not exist.
      type: str
      sample: sha256:9a1b...
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
      description: Backup of the target flow taken before it was overwritten or deleted (with O(backup_dir)).
      type: str
    source_file:
      description: File the flow was read from (O(state=present)).
      type: str
      returned: state is present
    files:
      description: Files written or checked for this flow and its subflows (O(state=exported)).
      type: list
      elements: str
      returned: state is exported
    subflows:
      description: Names of the exported subflows (O(state=exported)).
      type: list
      elements: str
      returned: state is exported
    error:
      description: Why the flow failed or was skipped.
      type: str
      returned: failed or skipped
diff:
  description: Before/after of the normalised documents of every changed flow (secret values masked).
  returned: changed and diff mode
  type: list
  elements: dict
msg:
  description: Summary of the actions.
  returned: always
  type: str
  sample: 1 created, 2 unchanged
"""

from ansible_collections.flowops.flows.plugins.module_utils._davinci import (
    CONNECTION_SPEC,
    client_from_params,
    plan_absent_flow,
    plan_export_flow,
    plan_present_flow,
)
from ansible_collections.flowops.flows.plugins.module_utils._module import run_module
from ansible_collections.flowops.flows.plugins.module_utils._options import EXPECT_ARGSPEC, PRUNE_ARGSPEC

ARGUMENT_SPEC = {
    "state": {"type": "str", "default": "present", "choices": ["present", "absent", "exported"]},
    "src": {"type": "path"},
    "dest": {"type": "path"},
    "flow_id": {"type": "str"},
    "name": {"type": "str"},
    "names": {"type": "list", "elements": "str"},
    "version": {"type": "str", "default": "current"},
    "include_subflows": {"type": "bool", "default": True},
    "include_variable_values": {"type": "bool", "default": False},
    "connection_map": {"type": "dict", "default": {}},
    "allow_unmapped_connections": {"type": "bool", "default": False},
    "substitutions": {"type": "dict", "default": {}},
    "deploy": {"type": "bool", "default": True},
    "enabled": {"type": "bool"},
    "ignore_layout": {"type": "bool", "default": False},
    "values": {"type": "dict", "default": {}},
    "portable": {"type": "bool", "default": False},
}

ARGUMENT_SPEC.update(EXPECT_ARGSPEC)
ARGUMENT_SPEC.update(PRUNE_ARGSPEC)


def main():
    run_module(
        ARGUMENT_SPEC, CONNECTION_SPEC, client_from_params,
        {"present": plan_present_flow, "absent": plan_absent_flow, "exported": plan_export_flow},
        required_if=[("state", "present", ["src"]), ("state", "exported", ["dest"]),
                     ("state", "exported", ["flow_id", "name", "names"], True), ("state", "absent", ["flow_id", "name"], True)],
        mutually_exclusive=[("flow_id", "name", "names")],
    )


if __name__ == "__main__":
    main()
