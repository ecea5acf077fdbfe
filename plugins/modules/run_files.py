#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flowops.flows contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the run_files action (plugins/action/run_files.py); there is no module code.

from __future__ import annotations

DOCUMENTATION = r"""
module: run_files
short_description: Create a run's local folders, write its report files and copy its inputs on the controller (internal)
version_added: 0.2.0
description:
  - The roles keep their artifacts (reports, backups, staging folders) on the controller. This action creates the
    run's folders and writes its report files in the controller's process, in one task, where C(ansible.builtin.file)
    and C(ansible.builtin.copy) start a module process for each folder and file.
  - Internal to the roles; playbooks use C(ansible.builtin.file) and C(ansible.builtin.copy).
  - Local artifacts, not changes to the environment, so the task reports C(changed=false); RV(written) lists the files
    whose content changed. The roles run it with C(check_mode=false), so a check-mode run leaves its report too.
author:
  - flowops.flows contributors (@flowops)
options:
  directories:
    description:
      - Folders to create (absolute paths), with their parents. Each gets O(directory_mode), also when it exists.
    type: list
    elements: path
    default: []
  directory_mode:
    description: The mode of each of O(directories), in octal.
    type: raw
    default: "0700"
  copy:
    description:
      - Files or folders (absolute paths) to copy into O(copy_to), keeping their names and modes (a folder with
        everything in it). A source that does not exist fails the task.
    type: list
    elements: path
    default: []
  copy_to:
    description: The folder O(copy) copies into (an absolute path; created when missing). Required with O(copy).
    type: path
  files:
    description:
      - Files to write. Each is written atomically (a temporary file in the same folder, renamed over the file) and
        only when its bytes differ; its folder is created when missing.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Where to write (an absolute path).
        type: path
        required: true
      content:
        description: The text to write (UTF-8).
        type: str
        required: true
      mode:
        description: The file's mode, in octal.
        type: raw
        default: "0644"
attributes:
  action:
    description: Runs as an action plugin on the controller.
    support: full
  check_mode:
    description: In check mode nothing is written; RV(written) lists the files that would be.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
  platform:
    description: Runs on the controller.
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Create the run directories and write the report
  flowops.flows.run_files:
    directories:
      - /srv/flows/reports
      - /srv/flows/backups/20261207T180000Z
    files:
      - path: /srv/flows/reports/20261207T180000Z-portal_descope_prod-promote.json
        content: "{{ report | to_nice_json }}\n"
"""

RETURN = r"""
written:
  description:
    - The files whose content changed (the others already held it), then the files and folders copied.
    - In check mode, the files of O(files) that would change (nothing is copied).
  returned: always
  type: list
  elements: str
msg:
  description: How many files were written.
  returned: always
  type: str
"""
