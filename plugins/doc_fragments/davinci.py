# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PingOne DaVinci connection options."""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Connection options shared by the DaVinci modules (action group C(flowops.flows.davinci))."""

    DOCUMENTATION = r"""
options:
  environment_id:
    description:
      - The PingOne environment whose DaVinci flows are managed.
      - If not set, the value of the E(PINGONE_ENVIRONMENT_ID) environment variable is used.
    type: str
    required: true
  client_id:
    description:
      - Client id of the PingOne worker application used to obtain an access token.
      - If not set, the value of the E(PINGONE_CLIENT_ID) environment variable is used.
    type: str
    required: true
  client_secret:
    description:
      - Client secret of the worker application. Secret; never logged or returned.
      - If not set, the value of the E(PINGONE_CLIENT_SECRET) environment variable is used.
    type: str
    required: true
  worker_environment_id:
    description:
      - The environment the worker application lives in. Defaults to O(environment_id).
    type: str
  region:
    description:
      - The PingOne region, used to derive O(api_url) and O(auth_url).
      - If not set, the value of the E(PINGONE_REGION_CODE) environment variable is used, then V(NA).
    type: str
    choices: [NA, EU, CA, AU, SG, AP]
  api_url:
    description:
      - Explicit PingOne API base URL including C(/v1), overriding O(region) (for example a test emulator).
    type: str
  auth_url:
    description:
      - Explicit PingOne auth base URL (the token endpoint is C(<auth_url>/<worker_environment_id>/as/token)), overriding O(region).
    type: str
  token_auth_method:
    description:
      - How the client credentials are sent to the token endpoint.
    type: str
    choices: [client_secret_basic, client_secret_post]
    default: client_secret_basic
attributes:
  action_group:
    description: Use C(group/flowops.flows.davinci) or C(group/flowops.flows.flows) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - flowops.flows.davinci
      - flowops.flows.flows
"""
