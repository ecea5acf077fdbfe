# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the plan options: O(expect) (every module that writes flows) and O(prune) (providers that can delete)."""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """O(expect): apply exactly a reviewed plan."""

    DOCUMENTATION = r"""
options:
  expect:
    description:
      - With O(state=present), the entries of a plan (the C(flows) of one host in a plan written by the
        P(flowops.flows.flow_plan#filter) filter), to apply exactly that plan, or nothing.
      - Each entry is a dictionary with C(id) or C(name), C(action) (V(created), V(updated), V(unchanged), V(deleted), V(absent),
        or for DaVinci V(enabled), V(disabled) or V(deployed)),
        C(fingerprint) (of the desired document) and C(current_fingerprint) (of the target's document; V(null) when absent),
        as the module returns them in RV(flows).
      - Every flow is read and compared before the first write. The module refuses, writing nothing and naming each flow,
        when the fingerprint of a flow's desired document or of its current document in the target differs from the plan's,
        when a flow would be written or deleted that the plan does not list, or when a flow the plan writes or deletes is
        not in the input (or, for a delete, no longer in the target).
      - A flow that is unchanged need not be listed. Follow-up steps that do not change a flow's document (a DaVinci
        deploy of a flow whose published version is behind) are not part of the plan.
      - Unset (the default), nothing is compared with a plan.
    type: list
    elements: dict
    version_added: 0.2.0
"""

    PRUNE = r"""
options:
  prune:
    description:
      - With O(state=present) and O(src) a directory, delete every flow of the target that is not in O(src), after
        every flow of O(src) was written.
      - Never deletes a flow the provider does not let anyone delete (Descope's built-in flows C(sign-up-or-in),
        C(sign-up), C(sign-in) and C(step-up)), nor, for DaVinci, which has no built-in flows, a flow that a flow of
        O(src) calls as a subflow (directly or through other flows).
      - Each deleted flow is backed up first (O(backup_dir)), is reported with C(action=deleted) (in check mode too, and
        in the C(--diff) output), and is created again by the rollback when a later step of the task fails (a DaVinci flow
        created again gets a new id; the flows put back with it call it by that id).
    type: bool
    default: false
    version_added: 0.2.0
"""
