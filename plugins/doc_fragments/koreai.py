# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kore.ai AI for Process connection options."""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Connection options shared by the Kore.ai modules (action group C(flowops.flows.koreai))."""

    DOCUMENTATION = r"""
options:
  base_url:
    description:
      - Base URL of the Kore.ai AI for Process tenant, for example U(https://agent-platform.kore.ai).
      - If not set, the value of the E(KOREAI_BASE_URL) environment variable is used.
    type: str
    required: true
  api_key:
    description:
      - The API key (sent as C(x-api-key)). Secret; never logged or returned.
      - If not set, the value of the E(KOREAI_API_KEY) environment variable is used.
    type: str
    required: true
  resource:
    description:
      - V(workflows) uses the AI for Process paths; V(tools) the older GALE / Agent Platform naming of the same API.
    type: str
    choices: [workflows, tools]
    default: workflows
  poll_interval:
    description:
      - Seconds between two polls of an asynchronous job's dock status.
    type: float
    default: 2
  wait_timeout:
    description:
      - Seconds to wait for an asynchronous job to reach C(SUCCESS) or C(FAILED) before failing.
    type: float
    default: 600
attributes:
  action_group:
    description: Use C(group/flowops.flows.koreai) or C(group/flowops.flows.flows) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - flowops.flows.koreai
      - flowops.flows.flows
"""
