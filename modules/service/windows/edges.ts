/**
 * Edges of a Windows service: a user or gMSA account needs SeServiceLogonRight, so the
 * `user_right` resource of that right comes first when the playbook has it; validate warns when
 * a windows-service or nssm account lacks it (provision sets the account through the SCM, which
 * does not grant the right, unlike the Services console).
 */
import type { AutoEdge } from '../../../src/core/types.ts';
import { settings, type ServiceDesired } from '../schema.ts';
import { needsLogonRight } from './sid.ts';

export const SERVICE_LOGON_RIGHT = 'SeServiceLogonRight';
export const BATCH_LOGON_RIGHT = 'SeBatchLogonRight';

export function windowsEdges(d: ServiceDesired): AutoEdge[] {
  const s = settings(d);
  const account = d.windows?.account;
  if (!s.present || account === undefined || !needsLogonRight(account)) return [];
  if (s.method === 'scheduled-task') {
    // A task that stores a password logs on as a batch job.
    return d.windows?.password !== undefined ? [{ kind: 'user_right', name: BATCH_LOGON_RIGHT }] : [];
  }
  return [{
    kind: 'user_right',
    name: SERVICE_LOGON_RIGHT,
    ifMissing: {
      message: `the account ${account} needs the right ${SERVICE_LOGON_RIGHT} ("Log on as a service") and the playbook does not grant it; the service will fail to start with error 1069 unless it is granted some other way`,
      hint: `add a resource { kind: user_right, name: ${SERVICE_LOGON_RIGHT}, accounts: [${JSON.stringify(account)}] }`,
    },
  }];
}
