#!/bin/sh
# Run by provision-drift.service: one drift run, its reports kept under $STATE_DIRECTORY (set by
# systemd's StateDirectory=), a "latest" link to the newest, runs older than KEEP_DAYS removed.
# Exits with provision drift's code: 0 in sync, 2 drift, 1 errors.
set -u
reports=${STATE_DIRECTORY:-/var/lib/provision-drift}
run="$reports/$(date -u +%Y-%m-%dT%H%M%SZ)"
mkdir -p "$run"
provision drift "$PLAYBOOK" -i "$INVENTORY" \
  --report json="$run/drift.json" \
  --report junit="$run/drift.xml" \
  --report html="$run/drift.html" >"$run/summary.txt" 2>&1
code=$?
cat "$run/summary.txt"
ln -sfn "$run" "$reports/latest"
find "$reports" -mindepth 1 -maxdepth 1 -type d -name '20*' -mtime +"${KEEP_DAYS:-30}" -exec rm -rf {} +
exit "$code"
