#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: descope_theme
short_description: Import and export the Descope project theme (styles) idempotently
version_added: 0.1.0
description:
  - Imports the theme of a Descope project from a v2 theme export (the format of C(descope theme export)),
    or exports it to a canonical JSON file, through the Descope management API.
  - The v2 theme import only adds or updates styles; B(styles missing from the file are not removed) from the project.
    The comparison therefore covers only the styles (and top-level keys) present in the desired document, and the
    theme is imported only when one of them differs from the target.
  - The exported file matches C(descope theme export) output (sorted keys, 2-space indent, trailing newline, empty
    C(references) dropped) and is rewritten only when its content changes.
author:
  - flowops.flows contributors (@flowops)
extends_documentation_fragment:
  - flowops.flows.descope
  - flowops.flows.placeholders
  - flowops.flows.common
  - flowops.flows.common.attributes
options:
  state:
    description:
      - V(present) imports the theme from O(src) or O(theme) when it differs from the target.
      - V(exported) writes the project's theme to O(dest).
    type: str
    choices: [present, exported]
    default: present
  src:
    description:
      - With O(state=present), a theme export file (the theme object, or an envelope with a single C(theme) key).
      - Mutually exclusive with O(theme).
    type: path
  theme:
    description:
      - With O(state=present), the theme document inline.
      - Mutually exclusive with O(src).
    type: dict
  dest:
    description:
      - With O(state=exported), the file to write.
    type: path
  ignore_paths:
    description:
      - Dotted paths left out of the comparison with O(state=present).
      - The default ignores the top-level C(componentsVersion), which Descope bumps server-side.
      - Empty C(references) always count as absent.
    type: list
    elements: str
    default: [componentsVersion]
notes:
  - Uses the v2 endpoints C(/v2/mgmt/theme/export) and C(/v2/mgmt/theme/import).
  - A theme holds no secrets; O(values) sets per-stage colours, logos or texts (C(@@BRAND_COLORS@@) may be a whole object).
  - To remove a style, delete it in the Descope console; this module never deletes styles.
seealso:
  - module: flowops.flows.descope_flow
"""

EXAMPLES = r"""
- name: Import the theme (only the styles in the file are compared and updated)
  flowops.flows.descope_theme:
    project_id: "{{ descope_project_id }}"
    management_key: "{{ descope_management_key }}"
    src: "{{ playbook_dir }}/flows/descope/theme.json"
  delegate_to: localhost

- name: Export the theme
  flowops.flows.descope_theme:
    project_id: "{{ descope_project_id }}"
    management_key: "{{ descope_management_key }}"
    state: exported
    dest: "{{ playbook_dir }}/flows/descope/theme.json"
  delegate_to: localhost
"""

RETURN = r"""
msg:
  description: A summary of the action.
  returned: always
  type: str
  sample: 1 updated
flows:
  description: One entry, for the theme (the same shape as the flow modules return).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Always C(theme).
      type: str
      sample: theme
    name:
      description: Always C(theme).
      type: str
      sample: theme
    action:
      description: C(created), C(updated) or C(unchanged) for O(state=present); C(exported) or C(unchanged) for O(state=exported).
      type: str
      sample: updated
    fingerprint:
      description: C(sha256:) of the normalised (compared) theme document.
      type: str
      sample: sha256:0f1e2d...
    changes:
      description:
        - What differs, as short sentences a person understands (the task, screen, node or variable and the field),
          computed from the compared documents with secret values masked; returned always, also without diff mode (C(--diff)).
        - Empty for an unchanged flow; at most 50 sentences (the last then says how many more there are).
        - The same sentences as the P(flowops.flows.flow_changes#filter) filter gives for the C(diff) returned in diff mode.
      type: list
      elements: str
      returned: O(state=present), for each flow that was compared
      sample: ["task 2 'Verify email' (action.sendEmail): settings.subject changed from 'Hi' to 'Welcome'"]
    backup_file:
      description: The backup of the target theme written before the change, when O(backup_dir) is set.
      type: str
    files:
      description: The file written or compared, with O(state=exported).
      type: list
      elements: str
    changed:
      description: Whether the theme was (or would be) changed.
      type: bool
diff:
  description: Before/after of the compared part of the theme (target, then desired), or of the file for O(state=exported).
  returned: changed and diff mode
  type: list
  elements: dict
"""

from ansible_collections.flowops.flows.plugins.module_utils._descope import (
    CONNECTION_SPEC,
    DEFAULT_THEME_IGNORE_PATHS,
    client_from_params,
    plan_export_theme,
    plan_present_theme,
)
from ansible_collections.flowops.flows.plugins.module_utils._module import run_module

ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": ["present", "exported"], "default": "present"},
    "src": {"type": "path"},
    "theme": {"type": "dict"},
    "dest": {"type": "path"},
    "ignore_paths": {"type": "list", "elements": "str", "default": list(DEFAULT_THEME_IGNORE_PATHS)},
    "values": {"type": "dict", "default": {}},
    "portable": {"type": "bool", "default": False},
}


def main():
    run_module(
        ARGUMENT_SPEC, CONNECTION_SPEC, client_from_params,
        {"present": plan_present_theme, "exported": plan_export_theme},
        mutually_exclusive=[("src", "theme")],
        required_if=[
            ("state", "present", ("src", "theme"), True),
            ("state", "exported", ("dest",)),
        ],
    )


if __name__ == "__main__":
    main()
