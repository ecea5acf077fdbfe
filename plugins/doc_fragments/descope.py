# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Descope connection options."""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Connection options shared by the Descope modules (action group C(flowops.flows.descope))."""

    DOCUMENTATION = r"""
options:
  project_id:
    description:
      - The Descope project id (C(P2...)).
      - If not set, the value of the E(DESCOPE_PROJECT_ID) environment variable is used.
    type: str
    required: true
  management_key:
    description:
      - A Descope management key for the project. Secret; never logged or returned.
      - If not set, the value of the E(DESCOPE_MANAGEMENT_KEY) environment variable is used.
    type: str
    required: true
  base_url:
    description:
      - Base URL of the Descope API.
      - If not set, the value of the E(DESCOPE_BASE_URL) environment variable is used; otherwise it is derived
        from the project id as the Descope SDKs do (a 32-character id carries its region, for example
        C(Puse1...) gives U(https://api.use1.descope.com); other ids use U(https://api.descope.com)).
    type: str
attributes:
  action_group:
    description: Use C(group/flowops.flows.descope) or C(group/flowops.flows.flows) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - flowops.flows.descope
      - flowops.flows.flows
"""
