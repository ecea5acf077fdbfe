#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: descope_flow
short_description: Import, export and delete Descope flows idempotently
version_added: 0.1.0
description:
  - Imports Descope flows from v2 export files (the format of C(descope flow export) and of the console's export),
    exports flows to canonical JSON files, and deletes flows, through the Descope management API.
  - Imports are idempotent. The current flow is exported and both sides are normalised as described under O(ignore_paths);
    the flow is imported only when they differ. Re-running the same task makes no write call.
  - Exported files match C(descope flow export) output byte for byte (sorted keys, 2-space indent, trailing newline,
    empty values stripped from C(metadata), C(references) and C(screens[].interactions), C(references) dropped when empty).
    A file is rewritten only when its content changes.
  - Flow files are read and parsed by the module itself, never templated, so C({{ }}) in flows is safe.
  - All input is validated before any API call. Malformed JSON (with file, line and column), a DaVinci or Kore.ai file,
    a document without C(metadata) or C(contents), or a flow id that is not C(^[A-Za-z0-9_-]+$) fail the task with no write.
author:
  - flowops.flows contributors (@flowops)
extends_documentation_fragment:
  - flowops.flows.descope
  - flowops.flows.placeholders
  - flowops.flows.common
  - flowops.flows.common.attributes
  - flowops.flows.plan
  - flowops.flows.plan.prune
options:
  state:
    description:
      - V(present) imports the flow(s) from O(src) or O(flow) when they differ from the target.
      - V(exported) writes the flow(s) named in O(flow_id) to O(dest).
      - V(absent) deletes the flow(s) named in O(flow_id). The built-in flows C(sign-up-or-in), C(sign-up), C(sign-in)
        and C(step-up) cannot be deleted; asking for it fails before any API call.
    type: str
    choices: [present, exported, absent]
    default: present
  src:
    description:
      - With O(state=present), a v2 flow export file, a file holding an envelope with a single C(flow) key, or a directory of such files.
      - A directory is a bulk import, one flow per C(*.json) file; each flow's id is the document's C(flowId),
        or else the file name without C(.json). Two files with the same id are an error.
      - A relative path is relative to the working directory of the module (the directory C(ansible-playbook) was started in);
        prefer an absolute path such as C({{ playbook_dir }}/flows/sign-in.json).
      - Mutually exclusive with O(flow).
    type: path
  flow:
    description:
      - With O(state=present), the flow document inline (a v2 exported flow, or an envelope with a single C(flow) key).
      - Mutually exclusive with O(src).
    type: dict
  flow_id:
    description:
      - With O(state=present), the id to import the flow as. It overrides the C(flowId) inside the document
        (the target id always wins, as in the Descope Go SDK and CLI). Not allowed when O(src) is a directory.
      - With O(state=exported), one id, a list of ids, or V(all) for every flow of the project.
      - With O(state=absent), one id or a list of ids.
      - Ids must match C(^[A-Za-z0-9_-]+$).
    type: list
    elements: str
  dest:
    description:
      - With O(state=exported), where to write.
      - For one flow, the file to write, unless O(dest) is an existing directory or ends with C(/).
      - For several flows (a list or V(all)), a directory that receives C(<flowId>.json) per flow.
    type: path
  ignore_paths:
    description:
      - Dotted paths left out of the comparison with O(state=present) (C(*) matches every key or list item,
        for example C(screens.*.interactions)).
      - The default ignores C(metadata.componentsVersion), the UI components version that Descope bumps server-side,
        so a server-side bump does not cause a re-import.
      - Besides these paths, the comparison always forces the target C(flowId), treats empty values (C(""), C(false),
        C(0), C(null), C({}), C([])) in C(metadata), C(references) and C(screens[].interactions) as absent, and ignores
        top-level keys the server adds that are neither part of the v2 export format nor in the desired document.
        C(contents) is compared as it is.
    type: list
    elements: str
    default: [metadata.componentsVersion]
  snapshot_dir:
    description:
      - With O(state=present), a directory that receives the pre-run backup, before the first write, as O(state=exported)
        writes it (C(<flowId>.json) per flow, the flow as it was). That is every target flow the run reads, each flow of
        the input that exists in the target and, with O(prune), each flow it would delete. Unchanged flows are written too.
      - The flows are read once for the comparison and the backup (no separate export). A file that cannot be written
        fails the task before any write. Nothing is written in check mode.
      - O(state=present) with O(src) set to this directory puts the flows back.
      - Unlike O(backup_dir), which holds a time-stamped copy of each flow the run changes.
    type: path
    version_added: 0.2.0
notes:
  - "Portable files (O(values)): connector ids in C(references.connectors), role ids in C(references.roles), URLs, client
    ids and any other literal inside task arguments are plain JSON strings, so C(@@NAME@@) or C(##NAME##) in them is
    resolved per stage. Secrets do not belong in O(values) (they are shown in diffs): a flow references a connector,
    whose secrets are configured in the project (console or management API), never in the flow file."
  - Uses the v2 endpoints C(/v2/mgmt/flow/export) and C(/v2/mgmt/flow/import) (like the Descope Go SDK and CLI),
    plus C(/v1/mgmt/flow/list) and C(/v1/mgmt/flow/delete).
  - An HTTP 401 or 403 fails the task with one message naming the project; the key never appears in output.
  - Flows are read and written concurrently, up to O(parallel) at a time.
seealso:
  - module: flowops.flows.descope_flow_info
  - module: flowops.flows.descope_theme
  - name: Descope flow export API
    description: The v2 export endpoint this module reads with.
    link: https://docs.descope.com/api/management/flows/export-flow
"""

EXAMPLES = r"""
- name: Import a flow from a file (only when it differs)
  flowops.flows.descope_flow:
    project_id: "{{ descope_project_id }}"
    management_key: "{{ descope_management_key }}"
    src: "{{ playbook_dir }}/flows/descope/sign-up-or-in.json"
  delegate_to: localhost

- name: Import every flow of a directory in one task, showing what would change
  flowops.flows.descope_flow:
    project_id: "{{ descope_project_id }}"
    management_key: "{{ descope_management_key }}"
    src: "{{ playbook_dir }}/flows/descope/"
    backup_dir: "{{ playbook_dir }}/backups"
  delegate_to: localhost
  check_mode: true
  diff: true

- name: Import a file under another id
  flowops.flows.descope_flow:
    src: "{{ playbook_dir }}/flows/descope/sign-in.json"
    flow_id: sign-in-v2
  delegate_to: localhost
  environment:
    DESCOPE_PROJECT_ID: "{{ descope_project_id }}"
    DESCOPE_MANAGEMENT_KEY: "{{ descope_management_key }}"

- name: Export every flow to a directory (files rewritten only when they change)
  flowops.flows.descope_flow:
    project_id: "{{ descope_project_id }}"
    management_key: "{{ descope_management_key }}"
    state: exported
    flow_id: all
    dest: "{{ playbook_dir }}/flows/descope"
  delegate_to: localhost

- name: "Import a portable flow with this stage's connector id and URL (@@HTTP_CONNECTOR_ID@@, ##API_HOST## in the file)"
  flowops.flows.descope_flow:
    project_id: "{{ descope_project_id }}"
    management_key: "{{ descope_management_key }}"
    src: "{{ playbook_dir }}/flows/descope/"
    values: "{{ flow_values }}"   # e.g. {HTTP_CONNECTOR_ID: CI2abc..., API_HOST: api.staging.example.com}
  delegate_to: localhost

- name: Export every flow as portable files (this stage's values written back as placeholders)
  flowops.flows.descope_flow:
    project_id: "{{ descope_project_id }}"
    management_key: "{{ descope_management_key }}"
    state: exported
    flow_id: all
    dest: "{{ playbook_dir }}/flows/descope"
    portable: true
    values: "{{ flow_values }}"
  delegate_to: localhost

- name: Delete two flows
  flowops.flows.descope_flow:
    project_id: "{{ descope_project_id }}"
    management_key: "{{ descope_management_key }}"
    state: absent
    flow_id: [old-sign-in, experiment-1]
  delegate_to: localhost

- name: Plan (check mode) making the project hold exactly the flows of the folder, deleting the others
  flowops.flows.descope_flow:
    project_id: "{{ descope_project_id }}"
    management_key: "{{ descope_management_key }}"
    src: "{{ playbook_dir }}/flows/descope"
    prune: true
  check_mode: true
  register: planned
  delegate_to: localhost

- name: Apply exactly that plan (nothing is written when the folder or the project changed since)
  flowops.flows.descope_flow:
    project_id: "{{ descope_project_id }}"
    management_key: "{{ descope_management_key }}"
    src: "{{ playbook_dir }}/flows/descope"
    prune: true
    expect: "{{ planned.flows }}"
  delegate_to: localhost
"""

RETURN = r"""
msg:
  description: A summary of the actions.
  returned: always
  type: str
  sample: 1 unchanged, 2 updated
flows:
  description: One entry per flow, in the order of the input.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The flow id.
      type: str
      sample: sign-up-or-in
    name:
      description: The flow name (C(metadata.name)), when known.
      type: str
      sample: Sign Up or In
    action:
      description:
        - What happened (or would happen in check mode).
        - C(created), C(updated) or C(unchanged) for O(state=present), and C(deleted) for a flow O(prune) deletes;
          C(deleted) or C(absent) for O(state=absent);
          C(exported) or C(unchanged) for O(state=exported); C(failed) or C(skipped) when the task failed.
      type: str
      sample: updated
    fingerprint:
      description:
        - C(sha256:) of the normalised document (the desired one for O(state=present), as a plan records it, see O(expect));
          C(null) for an absent flow and for a flow that O(prune) deletes.
      type: str
      sample: sha256:0f1e2d...
    current_fingerprint:
      description:
        - C(sha256:) of the normalised document of the flow in the target before the task; C(null) when it did not exist.
      type: str
      sample: sha256:9a8b7c...
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
      description: The backup of the target document written before the change, when O(backup_dir) is set.
      type: str
      sample: /backups/descope/sign-in.20250101T000000.000000Z.json
    files:
      description: The files written or compared, with O(state=exported).
      type: list
      elements: str
      sample: [/repo/flows/descope/sign-in.json]
    changed:
      description: Whether this flow was (or would be) changed.
      type: bool
    error:
      description: Why this flow failed or was skipped.
      type: str
      returned: on failure
diff:
  description:
    - Before/after of the normalised documents (target, then desired) for each flow that changes,
      or of the file for O(state=exported).
  returned: changed and diff mode
  type: list
  elements: dict
  sample: [{before: "...", after: "...", before_header: "descope 'Sign In' (sign-in) (target)", after_header: "descope 'Sign In' (sign-in) (desired)"}]
"""

from ansible_collections.flowops.flows.plugins.module_utils._descope import (
    CONNECTION_SPEC,
    DEFAULT_FLOW_IGNORE_PATHS,
    client_from_params,
    plan_absent_flow,
    plan_export_flow,
    plan_present_flow,
)
from ansible_collections.flowops.flows.plugins.module_utils._module import run_module
from ansible_collections.flowops.flows.plugins.module_utils._options import EXPECT_ARGSPEC, PRUNE_ARGSPEC

ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": ["present", "exported", "absent"], "default": "present"},
    "src": {"type": "path"},
    "flow": {"type": "dict"},
    "flow_id": {"type": "list", "elements": "str"},
    "dest": {"type": "path"},
    "ignore_paths": {"type": "list", "elements": "str", "default": list(DEFAULT_FLOW_IGNORE_PATHS)},
    "values": {"type": "dict", "default": {}},
    "portable": {"type": "bool", "default": False},
    "snapshot_dir": {"type": "path"},
}

ARGUMENT_SPEC.update(EXPECT_ARGSPEC)
ARGUMENT_SPEC.update(PRUNE_ARGSPEC)


def main():
    run_module(
        ARGUMENT_SPEC, CONNECTION_SPEC, client_from_params,
        {"present": plan_present_flow, "absent": plan_absent_flow, "exported": plan_export_flow},
        mutually_exclusive=[("src", "flow")],
        required_if=[
            ("state", "present", ("src", "flow"), True),
            ("state", "exported", ("flow_id", "dest")),
            ("state", "absent", ("flow_id",)),
        ],
    )


if __name__ == "__main__":
    main()
