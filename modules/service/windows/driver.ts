/** A Windows autostart method: like the Linux drivers, but its commands are PowerShell scripts. */
import type { AttributeChange, PowerShellCommand } from '../../../src/core/types.ts';
import type { ServiceDesired, WindowsMethod } from '../schema.ts';
import type { WindowsServiceCurrent } from './read.ts';

export interface WindowsDriver {
  readonly method: WindowsMethod;
  /** Whether this method's registration exists (a create vs an update). */
  exists(c: WindowsServiceCurrent): boolean;
  /** Delete changes for this method's registration ([] when there is none). */
  traces(d: ServiceDesired, c: WindowsServiceCurrent): AttributeChange[];
  /** Stop the service and remove this method's registration. */
  remove(d: ServiceDesired, c: WindowsServiceCurrent): PowerShellCommand[];
  /** Changes for the service to be registered as desired with this method. */
  diff(d: ServiceDesired, c: WindowsServiceCurrent): AttributeChange[];
  apply(d: ServiceDesired, c: WindowsServiceCurrent, changes: readonly AttributeChange[]): PowerShellCommand[];
}

export const changed = (changes: readonly AttributeChange[], ...prefixes: string[]): boolean => changes.some((ch) => prefixes.some((p) => ch.attribute === p || ch.attribute.startsWith(`${p}.`)));
