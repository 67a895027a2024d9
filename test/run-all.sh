#!/usr/bin/env bash
# Every check and every test: type-check, lint, unit tests, end-to-end tests on real hosts.
# The end-to-end suite boots Debian hosts with systemd-nspawn and needs root plus
# debootstrap, systemd-container, openssh-client and iproute2 (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== type-check"; npx tsc --noEmit -p .
echo "== lint"; npx eslint .
echo "== build (the compiled CLI the README mentions)"; npm run -s build && node dist/src/cli/main.js validate playbooks/example.yml
echo "== tests (unit, then end to end; the e2e suite runs the compiled CLI)"
export PROVISION_CLI=dist
exec node --import tsx --test --test-concurrency=1 test/unit/*.test.ts test/e2e/*.test.ts
