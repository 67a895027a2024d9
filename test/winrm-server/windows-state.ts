/**
 * What a Windows host's engine scripts (lock and ledger, src/engine/host-state-windows.ts) do,
 * simulated for scripted test hosts: the lock file is created only when absent, the ledger is
 * replaced whole. Answers in the batch's result shape; null for scripts that are not the engine's.
 */
import type { JsonValue } from '../../src/core/types.ts';
import { LOCK_HELD_EXIT } from '../../src/engine/host-state.ts';

export interface StepAnswer {
  id: string;
  code: number;
  stdout: string;
  stderr?: string;
}

export class WindowsStateSim {
  readonly files = new Map<string, string>();

  answer(step: { id: string; fn: string; input: JsonValue }): StepAnswer | null {
    const input = (step.input ?? {}) as Record<string, JsonValue>;
    const path = String(input['path'] ?? '');
    const held = this.files.get(path);
    switch (step.fn) {
      case 'engine/lock-acquire':
        if (held === undefined) {
          this.files.set(path, String(input['holder']));
          return { id: step.id, code: 0, stdout: '' };
        }
        if (held.includes(`"run":"${String(input['run'])}"`)) return { id: step.id, code: 0, stdout: '' };
        return { id: step.id, code: LOCK_HELD_EXIT, stdout: held };
      case 'engine/lock-release':
        if (held?.includes(`"run":"${String(input['run'])}"`)) this.files.delete(path);
        return { id: step.id, code: 0, stdout: '' };
      case 'engine/lock-break':
        this.files.delete(path);
        return { id: step.id, code: 0, stdout: held ?? '' };
      case 'engine/ledger-read':
        return { id: step.id, code: 0, stdout: held ?? '' };
      case 'engine/ledger-write':
        this.files.set(path, String(input['text']));
        return { id: step.id, code: 0, stdout: '' };
      default:
        return null;
    }
  }
}
