# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared option and attribute documentation for every flowops.flows module."""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Options every flow module accepts (connection-independent)."""

    DOCUMENTATION = r"""
options:
  timeout:
    description:
      - Seconds to wait for each HTTP request before giving up (and retrying when the call is safe to retry).
    type: float
    default: 30
  validate_certs:
    description:
      - Verify the provider's TLS certificate. Set to V(false) only for a test endpoint you trust.
    type: bool
    default: true
  retries:
    description:
      - How many times a failed read, export or replace-style import is retried after the first attempt,
        on HTTP 408, 429, 5xx and connection errors. C(Retry-After) is honoured (capped at 30 seconds),
        otherwise the wait grows exponentially with jitter.
      - Calls that create something new (an object, or a new version of a flow or workflow) are never resent once they may
        have reached the server; when their answer is lost, the target is read again to learn whether the write landed.
      - Any HTTP 401 on an access token that the module fetched itself (PingOne) gets one fresh token and the call is sent
        once more, also during a rollback; a second 401 is the answer.
    type: int
    default: 3
  parallel:
    description:
      - How many flows are read and written at the same time (and the size of the HTTP connection pool).
    type: int
    default: 4
  rate_limit:
    description:
      - At most this many API calls per second for the whole task, across all O(parallel) workers (a client-side token bucket),
        so that a large run stays under the provider's limit instead of running into HTTP 429 and waiting for C(Retry-After).
      - Descope publishes 100 requests per 60 seconds, keyed by the caller's IP address, so V(1.6) keeps a bulk import of many
        flows under it; with O(rate_limit_window=60), V(1.67) allows bursts of 100 calls instead of spacing every call.
        No limit for these endpoints is documented for Kore.ai AI for Process or PingOne DaVinci, as far as this collection knows.
      - Unset (the default), calls are not spaced; a 429 is still retried as described under O(retries).
    type: float
  rate_limit_window:
    description:
      - With O(rate_limit), make the limit a window, as providers count it, instead of a steady pace. At most
        O(rate_limit) x O(rate_limit_window) calls (rounded down) go out in any O(rate_limit_window) seconds, and a burst
        may use the whole window at once.
      - The window is shared by every task on this machine that calls the same API host (scheme, host and port). Each
        call's time goes into a small log file, C(flowops.flows-rate-<uid>/) in the system's temporary folder. So the next
        task of a play knows what the previous one spent, and promoting two projects of one provider in parallel stays
        under one limit. A call that would exceed the budget waits until the oldest call leaves the window, plus a small
        margin (2% of the window, at most 1 second).
      - For Descope, set O(rate_limit=1.67) and O(rate_limit_window=60) (100 calls per 60 seconds).
    type: float
  backup_dir:
    description:
      - Directory where the current target document is saved before it is overwritten or deleted.
      - One file per flow and write, named after the flow and the time; modules that write return its path as C(backup_file) for each flow.
    type: path
requirements:
  - requests >= 2.31
  - pydantic >= 2
notes:
  - "The modules talk to a SaaS API, so they run on the controller: use C(delegate_to: localhost) or a play with C(connection: local)."
  - "Failure contract: after any failure, either the target is as it was before the task, or every flow that may have changed is
    named in the result (C(flows)) with C(changed=true) and, when O(backup_dir) is set, its C(backup_file); the task's own
    C(changed) is then true and its message lists those flows, with those not rolled back and where their backup is.
    A flow I(may have changed) when one of its writes landed, or when the answer to a write was lost (no HTTP response,
    connection reset, truncated or invalid body) and reading the target again did not show that the write had no effect.
    A write of the task is rolled back from the document read before it; the rollback of a provider that deploys restores
    what is live (the previously published version), not only the draft."
"""

    ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the changed status prediction without modifying the target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or would change in check mode) as before/after documents, with secrets masked.
    support: full
"""

    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Read-only module; runs the same in check mode.
    support: full
    details: This module never changes anything.
  diff_mode:
    description: Read-only module; it never returns a diff.
    support: N/A
"""
