/** Host plans for drift report tests: in sync, drifted (with hostile names and values), unreachable. */
import type { HostPlan, ResourcePlan } from '../../src/engine/plan.ts';

export const HOSTILE = `evil<script>alert("x")</script>&'"]]>\u0001`;

function resource(address: string, over: Partial<ResourcePlan> = {}): ResourcePlan {
  const [kind = 'file', name = address] = address.split(/:(.*)/s);
  return { address, kind, name, action: 'none', reason: 'matches', changes: [], currentDigest: 'c', desiredDigest: 'd', ...over };
}

export function fleetPlans(): HostPlan[] {
  return [
    {
      host: 'web2',
      address: '10.0.0.2',
      resources: [
        resource('file:/etc/app.conf', {
          action: 'update',
          reason: undefined,
          changes: [
            { attribute: 'mode', before: '0604', after: '0640' },
            { attribute: 'content', before: 'a = 1\nb = 2\n', after: 'a = 1\nb = 3\n' },
          ],
        }),
        resource('systemd_service:app', { action: 'update', reason: undefined, changes: [{ attribute: 'environment.TOKEN', before: '(sensitive)', after: '(sensitive)', sensitive: true }] }),
        resource('user:app'),
      ],
    },
    {
      host: 'web10',
      address: '10.0.0.10',
      resources: [resource('file:/etc/app.conf'), resource('systemd_service:app'), resource('user:app')],
    },
    {
      host: HOSTILE,
      address: '10.0.0.66',
      resources: [
        resource(`file:/tmp/${HOSTILE}`, { action: 'update', reason: undefined, changes: [{ attribute: 'owner', before: HOSTILE, after: 'root' }] }),
        // An action this version of the plan does not know yet still counts as drift.
        resource('systemd_service:app', { action: 'orphan-delete' as ResourcePlan['action'], reason: 'in the ledger, not in the playbook', changes: [] }),
      ],
    },
    {
      host: 'db1',
      address: '10.0.0.5',
      error: { message: 'db1: cannot connect to 10.0.0.5:22: connect ECONNREFUSED', hint: 'is sshd running on db1?', phase: 'connect' },
      resources: [],
    },
  ];
}
