# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Placeholders in flow files (portable files): the O(values) and O(portable) options, documented once."""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """The O(values) and O(portable) options of descope_flow, descope_theme, davinci_flow and koreai_workflow."""

    DOCUMENTATION = r"""
options:
  values:
    description:
      - Values for the placeholders of the flow files, so that one file serves every stage (dev, staging, prod),
        each with its own values, usually from inventory (for example a C(flow_values) dict in C(group_vars/<stage>.yml)).
        The syntax is auth0-deploy-cli's keyword replacement.
      - A JSON string value that is exactly C(@@NAME@@) is replaced by the value of C(NAME), whatever its type
        (string, number, bool, null, list or object), so C("@@CONNECTOR_IDS@@") can become a list.
      - C(##NAME##) anywhere inside a string is replaced by the value of C(NAME) as text, for example
        C("https://##API_HOST##/v1/users"); that value must be a string or a number.
      - C(NAME) is a letter or C(_) followed by letters, digits or C(_) (C([A-Za-z_][A-Za-z0-9_]*)); nothing else is a
        placeholder. Object keys are never substituted, and a substituted value is not scanned again. The keys of
        O(values) must be such names.
      - C(##NAME##) next to a further C(#) is not a placeholder (DaVinci's own markup holds C(###...###)), and in DaVinci
        files C(##SK##) is DaVinci's separator in variable names (C(companyLogo##SK##flowInstance)), never a placeholder,
        so M(flowops.flows.davinci_flow) does not accept a value named C(SK).
      - "Order of resolution, with O(state=present): every file (and an inline document) is parsed, its placeholders are
        resolved from O(values), then the file is checked against its documented shape and the provider's own remapping
        runs as before (DaVinci C(@connection:)/C(@flow:) references and substitutions, Kore.ai C(env_overrides), the comparison rules).
        The comparison, the fingerprints and the diff are of the resolved document, so a second run with the same values
        changes nothing."
      - A placeholder without a value fails the task before any API call, naming the file, the JSON path of the
        placeholder (such as C($.tasks[3].args.url)) and the names that have values. This also holds with the default
        (no values), since a file that holds placeholders needs them.
      - Values are not secret, they appear in the documents, in C(--diff) and in the results. Keep secrets where the
        provider keeps them (see the notes of each module).
      - With O(state=exported) the values are used only when O(portable=true).
    type: dict
    default: {}
  portable:
    description:
      - With O(state=exported), write portable files, so that an export of one stage applies to any other stage
        with that stage's O(values).
      - Each string of the exported document that equals a value of O(values) is written as C("@@NAME@@"), each value
        found inside a longer string as C(##NAME##) (longest values first); a list or object equal to a value is written
        as C("@@NAME@@") too. Numbers, bools, null and empty values are never turned into placeholders, and object
        keys are left alone.
      - The export then checks that resolving each portable file with the same O(values) gives back exactly the
        exported document, and fails naming the file, the JSON path and the value when it does not (two names with the
        same value, a value that is also part of unrelated text, text that already reads as a placeholder).
        That flow's files are then not written (the task fails and names it; the files of the other flows are written
        and listed in the result as usual).
      - Ignored with other states.
    type: bool
    default: false
"""
