#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: koreai_workflow
short_description: Export, import and deploy Kore.ai AI for Process workflows
version_added: 0.1.0
description:
  - Exports a Kore.ai AI for Process workflow to files (O(state=exported)), or brings a workflow in line with a package of
    files (O(state=present)), importing and optionally deploying only when something differs.
  - A package is the three JSON documents of a Kore.ai workflow export, C(flow_definition.json), C(app_definition.json)
    and C(env_variables.json), either in a directory or in a zip.
  - The public API has no list or get call, so the current state of a workflow is always read with an export job
    (start the export, poll the dock status until C(SUCCESS) or C(FAILED), download the zip).
  - Server-owned metadata (C(_id), C(workflowId), C(createdOn), C(updatedOn) and similar keys at the top level of the
    documents and of each variable) is ignored when comparing and is not written to files; variables are compared and
    written sorted by key.
author:
  - flowops.flows contributors (@flowops)
options:
  state:
    description:
      - V(exported) writes the workflow O(workflow_id) to O(dest), or each workflow of O(workflows) to a folder of its own
        under O(dest). A file is rewritten only when its content changes.
      - V(present) makes the workflow hold the package in O(src).
        With O(workflow_id), the target's current definition is exported and compared; only if it differs are the three
        files uploaded and imported into the existing workflow (which creates a new in-development version).
        Without O(workflow_id), the package is imported as a new workflow named O(name) and its new id is returned.
    type: str
    choices: [present, exported]
    default: present
  workflow_id:
    description:
      - The workflow id (C(a-<uuid>)). O(state=exported) needs it or O(workflows).
      - For O(state=present), the existing workflow to import into. Leave it out (and set O(name)) to create a new workflow.
    type: str
  workflows:
    description:
      - With O(state=exported), several workflows to export in one task, as folder name to workflow id. Their export
        jobs run in parallel (up to O(parallel) at a time), and each workflow is written to O(dest)C(/<folder name>)
        exactly as a task with O(workflow_id) and that O(dest) writes it (the three files, or with O(format=zip) one
        zip file of that name), with the same O(format), O(portable), O(values) and O(include_secure_values).
      - Each folder name must be a portable file name as it is (not empty; no C(/), backslash, NUL, control characters or
        other characters Windows forbids; no leading C(.), so no C(..); no trailing dot or space), and each workflow id is
        checked as O(workflow_id) is. A bad entry fails the task before any call to the API, with a message naming the
        option and the key.
      - RV(flows) holds one entry per workflow, in the order of O(workflows), with the workflow id as C(id) and the folder
        name as C(name); the top-level RV(workflow_id) is V(null).
      - Cannot be used with O(workflow_id), O(name), or O(flow_id) (each workflow is read with an export without
        C(flowId)), nor with O(state=present).
    type: dict
    version_added: 0.2.0
  flow_id:
    description:
      - The callflow id of the version to read (sent as the C(flowId) query parameter of the export call). That is the
        version O(state=exported) writes, and the version O(state=present) compares with the package before deciding to import.
      - It names one workflow's version, so it cannot be used with O(workflows).
      - Set it. The API reference lists C(flowId) as required (I(the callflow ID for the deployed workflow)) and does not
        say what an export without it returns; the UI exports the deployed version by default. Without O(flow_id) the
        module depends on that default, and a service that returns the latest version (which may be an undeployed
        import) makes the comparison, and so C(changed), depend on versions nobody deployed.
      - The API has no call that lists workflows or versions; copy the id from the browser's network tab while exporting
        the workflow in the UI.
      - After an import the module verifies the new version with an export without O(flow_id), because O(flow_id) names
        the version read before. The reference does not say whether a callflow id stays with the workflow's deployed flow
        or names one version; if your service mints a new one per version, set O(flow_id) to the id of the newly deployed
        version after a deploy, or the next run compares with the old version and imports again.
    type: str
  name:
    description:
      - Name of the new workflow when O(state=present) and O(workflow_id) is not set. Names are unique per account.
      - Importing as a new workflow is not idempotent and is never retried automatically, because the API cannot look a
        workflow up by name. Record the returned RV(workflow_id) and pass it as O(workflow_id) on later runs.
      - With O(workflow_id) it is only used in messages.
    type: str
  src:
    description:
      - The package to import with O(state=present), a directory holding C(flow_definition.json), C(app_definition.json)
        and C(env_variables.json), or a zip of them (as exported by the product or by O(state=exported)).
    type: path
  dest:
    description:
      - Where O(state=exported) writes; a directory for O(format=files), the zip file for O(format=zip).
      - With O(workflows), the directory that holds one folder (or with O(format=zip) one zip file) per workflow.
    type: path
  format:
    description:
      - V(files) writes the three documents as canonical JSON (sorted keys, 2-space indent, trailing newline).
      - V(zip) writes one zip with the same three canonical documents, sorted, with fixed timestamps and permissions, so that
        an unchanged workflow gives byte-identical zips.
    type: str
    choices: [files, zip]
    default: files
  env_overrides:
    description:
      - Environment variable key to value, applied to C(env_variables.json) before comparing and importing, so each
        environment keeps its own URLs and credentials. Applied after the placeholders of O(values) are resolved, so
        an override wins over a placeholder.
      - Every key must exist in the package. Values are sent as strings (V(8080) becomes V("8080")).
      - The values of variables marked secure (in the package or in the target) are masked in diffs and results, as
        C(******** (tag)); the tag is a keyed hash whose key lives for one run only, so a changed secret shows as a
        changed tag and nothing else about it. The values of other variables are shown, so that a change made only
        here shows in C(--diff) and in C(changes).
      - The value of a variable marked secure is compared only when it is set here. This is how an environment's own
        secret is managed explicitly; the value is masked in diffs and results.
      - Set every secure variable here when creating a new workflow from a package exported without secure values;
        otherwise the new workflow gets the variable without a value (the module warns).
    type: dict
    default: {}
  include_secure_values:
    description:
      - Write the values of environment variables marked secure (a flag such as C(isSecured=true)) to the exported
        files and zip (O(state=exported)) and to the backup files (O(backup_dir)).
      - By default these values are left out. The variables and their flags are still written, so the package still
        declares them.
      - When V(true) and files are written, the module warns that secret values are written to disk in clear text.
    type: bool
    default: false
  deploy:
    description:
      - With O(state=present), deploy the workflow after an import (asynchronously, polling the dock status to the end).
      - The API cannot say whether a workflow is deployed. The module compares the package with the version the export
        returns (O(flow_id), or the service's default, the deployed version if it behaves as the UI does), so when that
        version is behind the package the comparison differs and the module imports and deploys.
        When the package equals what the export returns, nothing is imported or deployed.
      - With V(false), an import into a workflow that has a deployed version cannot be verified when the export returns the
        deployed version; the module warns, and the next run imports again until the version is deployed.
    type: bool
    default: false
extends_documentation_fragment:
  - flowops.flows.koreai
  - flowops.flows.placeholders
  - flowops.flows.common
  - flowops.flows.common.attributes
  - flowops.flows.plan
notes:
  - Exported files and backups leave out the values of environment variables marked secure, unless
    O(include_secure_values=true). Values of variables that are not marked secure are written in clear text, so credentials
    stored in them end up in the files. Keep such files out of version control or scrub them, and use O(env_overrides) to
    supply per-environment values.
  - The value of a variable marked secure is not compared, unless O(env_overrides) sets it. It cannot be promoted between
    environments, because the platform encrypts it per account. A package that differs only in secure values is unchanged.
  - When the module imports into an existing workflow, each secure variable that O(env_overrides) does not set keeps the
    target's value. The module sends back the value read by its own export, because the API does not document whether an
    import keeps or overwrites existing values. A secure value held in the package files is not imported into an existing
    workflow.
  - A new workflow (no O(workflow_id)) gets the package's secure values, if the package holds any, or the values from
    O(env_overrides). A secure variable with neither is imported without a value, and the module warns.
  - Values shorter than 4 characters are masked in the documents, but not in free text, to keep output readable.
  - "Per-environment values: put placeholders (O(values)) in any of the three files, and keep secrets in variables marked
    secure, set with O(env_overrides) from a vault (values of O(values) are not masked)."
  - When the import keeps the workflow's existing value of a variable whose value the package changes (the public API
    has no parameter for its conflict policy), no API call can change that value. The verification after the import
    then fails naming the variable, the import is rolled back, and the value must be set in the Kore.ai UI.
  - A job that ends C(FAILED) or is still running after O(wait_timeout) fails the task with the dock status id; nothing is
    imported after a failed or unfinished export.
  - Each job can take minutes, and a task prints nothing until it ends. Use C(async) and C(poll) on the task to see it
    polled on the job page, with C(async) longer than all its jobs together (up to four, each bounded by O(wait_timeout)),
    so that the module's own limit ends a stuck job cleanly. RV(flows[].jobs) says how many polls and seconds each job took.
    With O(workflows), each workflow has its own export job, O(parallel) of them at a time.
  - With a directory O(src) or a zip, missing files, files that are not JSON and Descope or DaVinci exports are refused
    before any call to the API.
seealso:
  - module: flowops.flows.koreai_workflow_info
"""

EXAMPLES = r"""
- name: Export a workflow to three canonical JSON files
  flowops.flows.koreai_workflow:
    base_url: https://agent-platform.kore.ai
    api_key: "{{ koreai_api_key }}"
    workflow_id: a-1f0c7d52-7b9e-5c2d-9a41-3e8b0f6d2c11
    state: exported
    dest: workflows/orders
  delegate_to: localhost

- name: Export the same workflow as a deterministic zip
  flowops.flows.koreai_workflow:
    base_url: https://agent-platform.kore.ai
    api_key: "{{ koreai_api_key }}"
    workflow_id: a-1f0c7d52-7b9e-5c2d-9a41-3e8b0f6d2c11
    state: exported
    format: zip
    dest: backups/orders.zip
  delegate_to: localhost

- name: Export several workflows in one task, their export jobs in parallel, each into a folder of its own
  flowops.flows.koreai_workflow:
    base_url: https://agent-platform.kore.ai
    api_key: "{{ koreai_api_key }}"
    state: exported
    workflows:
      orders: a-1f0c7d52-7b9e-5c2d-9a41-3e8b0f6d2c11
      returns: a-7d3e9b20-4c1a-5f6e-8b2d-0a9c4e1f7b35
    dest: workflows   # writes workflows/orders/ and workflows/returns/
  delegate_to: localhost

- name: Promote the package into the production workflow with production values, and deploy it
  flowops.flows.koreai_workflow:
    base_url: "{{ prod_koreai_base_url }}"
    api_key: "{{ prod_koreai_api_key }}"
    workflow_id: "{{ prod_orders_workflow_id }}"
    src: workflows/orders
    env_overrides:
      ORDERS_API_URL: https://orders.example.com/api
      ORDERS_API_TOKEN: "{{ prod_orders_api_token }}"
    deploy: true
  delegate_to: localhost

- name: Create a new workflow from a product export (not idempotent; keep the returned id)
  flowops.flows.koreai_workflow:
    base_url: "{{ koreai_base_url }}"
    api_key: "{{ koreai_api_key }}"
    name: Orders assistant
    src: Orders assistant.zip
  delegate_to: localhost
  register: created

- name: Show the new workflow id
  ansible.builtin.debug:
    msg: "{{ created.workflow_id }}"
"""

RETURN = r"""
msg:
  description: Summary of what was done.
  returned: always
  type: str
  sample: 1 updated
workflow_id:
  description:
    - The workflow id (for a workflow created by this task, its new id; V(null) in check mode).
    - V(null) with O(workflows); each entry of RV(flows) has its own.
  returned: always
  type: str
  sample: a-1f0c7d52-7b9e-5c2d-9a41-3e8b0f6d2c11
flows:
  description: One entry for the workflow, or with O(workflows) one per workflow.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The workflow id, or the name for a workflow not created yet.
      type: str
      returned: always
    name:
      description: The workflow name when known; with O(workflows), the folder name.
      type: str
      returned: always
    action:
      description: V(created), V(updated), V(unchanged), V(exported) or V(failed).
      type: str
      returned: always
    changed:
      description: Whether this workflow (or its files) changed.
      type: bool
      returned: success
    fingerprint:
      description: C(sha256:) of the canonical normalised package (desired package for V(present), exported one for V(exported)).
      type: str
      returned: success
    current_fingerprint:
      description:
        - With O(state=present), C(sha256:) of the normalised package of the target workflow before the task (what a plan
          records for O(expect)); V(null) when the workflow is imported as a new one.
      type: str
      returned: success
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
      description:
        - File holding the target's package as it was before the import (with O(backup_dir)).
        - Values of secure variables are left out unless O(include_secure_values=true).
      type: str
      returned: success
    workflow_id:
      description: The workflow id.
      type: str
      returned: success
    deployed:
      description: Whether this task deployed the workflow.
      type: bool
      returned: success
    jobs:
      description: The asynchronous jobs run, in order, with their dock status id, action, final status, number of polls and seconds.
      type: list
      elements: dict
      returned: success
    files:
      description: Files written or checked by O(state=exported).
      type: list
      elements: str
      returned: when O(state=exported)
    error:
      description: Why this workflow failed.
      type: str
      returned: on failure
diff:
  description: Before/after of the normalised package (values of secure variables left out, or masked when set by O(env_overrides)).
  returned: changed and diff mode
  type: list
  elements: dict
"""

from ansible_collections.flowops.flows.plugins.module_utils._koreai import (
    CONNECTION_SPEC,
    client_from_params,
    plan_export_workflow,
    plan_present_workflow,
)
from ansible_collections.flowops.flows.plugins.module_utils._module import run_module
from ansible_collections.flowops.flows.plugins.module_utils._options import EXPECT_ARGSPEC

ARGUMENT_SPEC = {
    "state": {"type": "str", "default": "present", "choices": ["present", "exported"]},
    "workflow_id": {"type": "str"},
    "workflows": {"type": "dict"},
    "flow_id": {"type": "str"},
    "name": {"type": "str"},
    "src": {"type": "path"},
    "dest": {"type": "path"},
    "format": {"type": "str", "default": "files", "choices": ["files", "zip"]},
    "env_overrides": {"type": "dict", "default": {}, "no_log": False},
    "deploy": {"type": "bool", "default": False},
    "include_secure_values": {"type": "bool", "default": False},
    "values": {"type": "dict", "default": {}},
    "portable": {"type": "bool", "default": False},
}

ARGUMENT_SPEC.update(EXPECT_ARGSPEC)


def main():
    run_module(
        ARGUMENT_SPEC, CONNECTION_SPEC, client_from_params,
        {"present": plan_present_workflow, "exported": plan_export_workflow},
        required_if=[("state", "exported", ("dest",)), ("state", "exported", ("workflow_id", "workflows"), True),
                     ("state", "present", ("src",)), ("state", "present", ("workflow_id", "name"), True)],
        mutually_exclusive=[("workflow_id", "workflows"), ("name", "workflows"), ("flow_id", "workflows")],
    )


if __name__ == "__main__":
    main()
