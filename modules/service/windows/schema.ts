/**
 * The `windows` block of a `service`: what only Windows methods have. The common attributes keep
 * their meaning: `command` is the program and its arguments (SCM binary path, NSSM Application +
 * AppParameters, the task's action), `description`, `environment` (nssm), `working_directory`
 * (nssm, scheduled-task), `log` (nssm), `restart` (mapped per method), `enabled`, `state`.
 */

/** A Windows absolute path: a drive letter or a UNC share. */
export const windowsPath = { type: 'string', pattern: '^([A-Za-z]:\\\\|\\\\\\\\[^\\\\]+\\\\)[^\\x00-\\x1f"<>|]*$', maxLength: 32767 } as const;

export const DEFAULT_TASK_PATH = '\\';
/** The task folder (where a task of this service is looked for, whatever the method). */
export const taskPath = (d: { readonly windows?: WindowsDesired }): string => d.windows?.task?.path ?? DEFAULT_TASK_PATH;

export type StartMode = 'auto' | 'delayed-auto' | 'manual' | 'disabled';
export type SidType = 'none' | 'unrestricted' | 'restricted';
export type LogonType = 'service-account' | 'password' | 's4u' | 'interactive' | 'group' | 'interactive-or-password';
export type NssmExit = 'Restart' | 'Ignore' | 'Exit' | 'Suicide';

export interface WindowsDesired {
  readonly display_name?: string;
  readonly start_mode?: StartMode;
  readonly dependencies?: readonly string[];
  readonly account?: string;
  readonly password?: string;
  readonly update_password?: 'always' | 'on_create';
  readonly required_privileges?: readonly string[];
  readonly sid_type?: SidType;
  readonly nssm?: {
    readonly executable?: string;
    readonly rotation?: { readonly files?: boolean; readonly online?: boolean; readonly seconds?: number; readonly bytes?: number };
    readonly exit_codes?: Readonly<Record<string, NssmExit>>;
  };
  readonly task?: {
    readonly path?: string;
    readonly trigger?: { readonly at: 'startup' | 'logon'; readonly user?: string; readonly delay?: string | number };
    readonly group?: string;
    readonly logon_type?: LogonType;
    readonly run_level?: 'limited' | 'highest';
    readonly execution_time_limit?: string | number;
  };
}

const text = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\x00-\\x1f]*$' } as const;
const account = { ...text, description: '' };
const duration = {
  anyOf: [
    { type: 'string', pattern: '^(P(?=\\d|T\\d)(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+S)?)?|(\\d+\\.)?\\d{1,2}:\\d{1,2}:\\d{1,2})$' },
    { type: 'number', minimum: 0, maximum: 31 * 86400 },
  ],
} as const;

export const windowsSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Windows settings (methods windows-service, nssm, scheduled-task). Accounts are compared by SID, so `NT AUTHORITY\\LocalService`, `LocalService` and `S-1-5-19` are the same account.',
  properties: {
    display_name: { ...text, description: 'The name the Services console shows (default: name). windows-service and nssm.' },
    start_mode: {
      type: 'string',
      enum: ['auto', 'delayed-auto', 'manual', 'disabled'],
      description: 'SCM start type (windows-service, nssm). Default: auto when enabled, manual when enabled is false (not started at boot, but it can run: a disabled service cannot be started). delayed-auto starts shortly after the other auto-start services.',
    },
    dependencies: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9_.@+-]{1,256}$' }, uniqueItems: true, description: 'Services that must run first (SCM DependOnService), compared as a set; default none. windows-service and nssm.' },
    account: {
      ...account,
      description:
        'Run account (default LocalSystem): LocalSystem, NT AUTHORITY\\LocalService, NT AUTHORITY\\NetworkService, a virtual account NT SERVICE\\<name>, a gMSA DOMAIN\\name$ (no password), or a local (.\\user) or domain user (DOMAIN\\user, with password). Compared by SID. For scheduled-task it is the principal user (unless task.group). A user or gMSA needs SeServiceLogonRight: a `user_right` SeServiceLogonRight resource in the playbook is an automatic dependency, and validate warns when windows-service lacks it (NSSM grants it itself).',
    },
    password: { type: 'string', maxLength: 256, description: 'Password of a user account (sensitive: redacted everywhere, sent to the host only as script input). Use {{env "NAME"}}.' },
    update_password: {
      type: 'string',
      enum: ['always', 'on_create'],
      default: 'on_create',
      description: 'Passwords cannot be read back. on_create (default): set it when the service or task is created or its account changes. always: also whenever it differs from the password provision last set, known by a salted PBKDF2 fingerprint provision keeps in HKLM\\SOFTWARE\\Provision\\Passwords (readable by SYSTEM and administrators only); without a fingerprint the password is set once more.',
    },
    required_privileges: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^Se[A-Za-z]+Privilege$' }, description: 'Privileges the service keeps (sc.exe privs), compared as a set; unmanaged when omitted. Takes effect at the next start. windows-service only.' },
    sid_type: { type: 'string', enum: ['none', 'unrestricted', 'restricted'], description: 'Service SID type (sc.exe sidtype); unmanaged when omitted. windows-service only.' },
    nssm: {
      type: 'object',
      additionalProperties: false,
      description: 'NSSM settings (method nssm). Application, AppParameters and AppDirectory come from command and working_directory, AppStdout/AppStderr from log, AppExit/AppRestartDelay/AppThrottle from restart.',
      properties: {
        executable: { ...text, default: 'nssm.exe', description: 'nssm.exe to install the service with (a path, or a name found on PATH).' },
        rotation: {
          type: 'object',
          additionalProperties: false,
          description: 'Rotation of the stdout/stderr files (log.destination: files).',
          properties: {
            files: { type: 'boolean', default: true, description: 'Rotate the files when the service starts (AppRotateFiles).' },
            online: { type: 'boolean', default: false, description: 'Also rotate while the service runs (AppRotateOnline).' },
            seconds: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0, description: 'Rotate files older than this many seconds (AppRotateSeconds; 0: no age limit).' },
            bytes: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0, description: 'Rotate files larger than this many bytes (AppRotateBytes; 0: no size limit).' },
          },
        },
        exit_codes: {
          type: 'object',
          propertyNames: { pattern: '^[0-9]{1,10}$' },
          additionalProperties: { type: 'string', enum: ['Restart', 'Ignore', 'Exit', 'Suicide'] },
          description: 'AppExit per exit code, over what restart.policy gives (always: Default Restart; on-failure: Default Restart, 0 Exit; never: Default Exit).',
        },
      },
    },
    task: {
      type: 'object',
      additionalProperties: false,
      description: 'Scheduled task settings (method scheduled-task). The action is command + working_directory; restart.policy on-failure maps to RestartCount (start_limit.burst, default 3) and RestartInterval (restart.delay, at least 60 s); state is managed only when set.',
      properties: {
        path: { type: 'string', pattern: '^\\\\([^\\x00-\\x1f\\\\/:*?"<>|]+\\\\)*$', default: '\\', description: 'Task folder, e.g. \\ (default) or \\MyCompany\\.' },
        trigger: {
          type: 'object',
          additionalProperties: false,
          required: ['at'],
          properties: {
            at: { type: 'string', enum: ['startup', 'logon'], description: 'At system startup, or when a user logs on.' },
            user: { ...account, description: 'logon: only when this user logs on (compared by SID); default any user.' },
            delay: { ...duration, description: 'Delay after the event: ISO 8601 (PT30S), hh:mm:ss (00:00:30) or seconds (30); compared as a duration.' },
          },
          description: 'When the task starts (default: at startup).',
        },
        group: { ...account, description: 'Run for this group (principal GroupId, e.g. BUILTIN\\Users) instead of account.' },
        logon_type: {
          type: 'string',
          enum: ['service-account', 'password', 's4u', 'interactive', 'group', 'interactive-or-password'],
          description: 'Principal logon type. Default: service-account for LocalSystem/LocalService/NetworkService, group with task.group, password when a password is given, otherwise interactive.',
        },
        run_level: { type: 'string', enum: ['limited', 'highest'], default: 'limited', description: 'highest runs elevated.' },
        execution_time_limit: { ...duration, description: 'Stop the task after this long (default PT0S: no limit; Task Scheduler\'s own default of 72 hours would stop a service).' },
      },
    },
  },
} as const;
