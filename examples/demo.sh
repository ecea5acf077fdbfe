#!/usr/bin/env bash
# make demo: flows as code from git on six emulated environments (Descope, PingOne DaVinci, Kore.ai; two projects):
# backup dev as a portable tree -> commit it -> plan (apply --check --diff, plan file + Markdown for the pull request)
# -> apply the plan to prod -> apply again (zero writes) -> the report. Everything runs against the bundled emulator on
# a free loopback port; nothing leaves this machine.
# It needs only what tests/requirements-demo.txt lists (ansible-core, requests, pydantic, the emulator's server), in
# its own venv (.venv-demo, made on the first run), not the development toolchain; each step says how long it took.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="${FLOWOPS_DEMO_VENV:-$root/.venv-demo}"  # FLOWOPS_DEMO_VENV: reuse a venv that has tests/requirements-demo.txt
py="$venv/bin/python"
work="$root/.build/demo"
collections="$work/collections"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "   (%.1f s)\n", b - a }'; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
t0=$(now)

step "setup 1/2: the demo venv ($venv: $(grep -c '^[a-z]' "$root/tests/requirements-demo.txt") pinned packages)"
t=$(now)
if [ ! -f "$venv/.stamp" ] || [ "$root/tests/requirements-demo.txt" -nt "$venv/.stamp" ]; then
  rm -rf "$venv"
  "$("$root/tests/scripts/find-python.sh" 3.12 3.13)" -m venv "$venv"
  "$py" -m pip install -q -r "$root/tests/requirements-demo.txt"
  touch "$venv/.stamp"
  echo "   created"
else
  echo "   up to date"
fi
took "$t"

rm -rf "$work" && mkdir -p "$work"
export PATH="$venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$collections" ANSIBLE_NOCOLOR=1 ANSIBLE_DISPLAY_SKIPPED_HOSTS=false
export ANSIBLE_HOME="$root/.build/ansible-home" PWD="$work"

step "setup 2/2: build the collection and install it into $collections"
t=$(now)
"$root/tests/scripts/copy-tree.sh" "$work/src" >/dev/null
(cd "$work/src/ansible_collections/flowops/flows" && ansible-galaxy collection build --force --output-path "$work/dist" >/dev/null)
ansible-galaxy collection install --force -p "$collections" "$work"/dist/flowops-flows-*.tar.gz >/dev/null
rm -rf "$work/src"
echo "   installed $(basename "$work"/dist/flowops-flows-*.tar.gz)"
took "$t"
cd "$work"

"$py" "$root/examples/estate.py" > seed.json
PYTHONPATH="$root/tests" "$py" -m emulator --port 0 --seed seed.json > emulator.log 2>&1 &
emulator_pid=$!
trap 'kill -TERM $emulator_pid 2>/dev/null || true; wait $emulator_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q FLOWOPS_EMULATOR_URL= emulator.log && break; sleep 0.1; done
FLOWOPS_EMULATOR_URL=$(sed -n 's/^FLOWOPS_EMULATOR_URL=//p' emulator.log)
[ -n "$FLOWOPS_EMULATOR_URL" ] || { cat emulator.log >&2; exit 1; }
export FLOWOPS_EMULATOR_URL

writes() {  # write calls each environment received since the last call
  "$py" - "$FLOWOPS_EMULATOR_URL" <<'PY'
import json, sys, urllib.request
url = sys.argv[1] + "/_emulator/requests"
counts = json.load(urllib.request.urlopen(url + "/counts"))
total = sum(t["writes"] for tenants in counts.values() for t in tenants.values())
print("   emulator: %d write call(s): %s" % (total, ", ".join("%s %s: %d" % (p, name[:12], t["writes"])
      for p, tenants in sorted(counts.items()) for name, t in sorted(tenants.items()) if t["writes"]) or "none"))
urllib.request.urlopen(urllib.request.Request(url, method="DELETE"))
PY
}
play() {  # run a playbook, show its recap and how long it took
  local log="$1" t; shift
  t=$(now)
  ansible-playbook -i "$root/examples/inventory.yml" -e flow_files_root="$work" "$@" > "$log" 2>&1 || { cat "$log"; exit 1; }
  sed -n '/^PLAY RECAP/,$p' "$log" | grep -v '^$'
  printf '   ansible-playbook: %s lines of output (in %s)' "$(wc -l < "$log")" "$log"; took "$t"
}
# Report names start with the run time (YYYYmmddTHHMMSSZ), so sorting them by name sorts them by time.
nth_newest() { printf '%s\n' reports/*-"$1"-"$2".md | sort | tail -n "$3" | head -n1; }

echo "Emulator at $FLOWOPS_EMULATOR_URL; inventory: examples/inventory.yml; work dir: $work"
writes >/dev/null

step "1/6 backup: dev as a portable tree (dev's flow_values become placeholders), committed to git"
play backup.log flowops.flows.backup -l dev -e backup_dir="$work/flows" -e backup_portable=true -e backup_include_theme=false
git -C "$work/flows" init -q
git -C "$work/flows" -c user.name=demo -c user.email=demo@localhost add -A
git -C "$work/flows" -c user.name=demo -c user.email=demo@localhost commit -q -m "flows of dev"
git -C "$work/flows" log --stat --format='   commit %h %s' | sed 's/^ / /'
echo "   a placeholder in the tree:"; grep -rho 'https://##[A-Z_]*##[^"]*' "$work/flows" | sort -u | sed 's/^/     /'
writes

step "2/6 plan: apply the tree to prod in check mode (--check --diff): the plan file and its Markdown for the pull request, zero writes"
play plan.log flowops.flows.apply -e tree="$work/flows" -e to=prod -e plan_out="$work/plan.json" --check --diff
if [ -f "$work/plan.md" ]; then
  sed 's/^/   /' "$work/plan.md" | head -n 40
else
  # >>> the plan file (plan_out) is written by the roles' plan step; until it is there, the --check --diff above is the plan
  echo "   (no plan file: see plan.log for the --check --diff)"
fi
writes

step "3/6 apply the plan to prod: backup, import what differs with prod's own values, deploy, verify"
# With a staging stage (flow_stages: [dev, staging, prod]) this is -e to=staging first; prod then checks staging holds the same.
if [ -f "$work/plan.json" ]; then
  play apply.log flowops.flows.apply -e tree="$work/flows" -e to=prod -e plan="$work/plan.json"
else
  play apply.log flowops.flows.apply -e tree="$work/flows" -e to=prod
fi
writes

step "4/6 apply again: nothing left to do (changed=0, zero writes)"
play again.log flowops.flows.apply -e tree="$work/flows" -e to=prod
writes

step "5/6 drift: prod now matches dev (a read-only report)"
play drift.log flowops.flows.drift -e from=dev -e to=prod
writes

step "6/6 the apply reports of step 3"
for host in portal_descope_prod portal_davinci_prod assist_koreai_prod; do
  echo; cat "$(nth_newest "$host" apply 2)"
done
echo
echo "Reports, backups and logs are in $work"
printf "make demo took"; took "$t0"
