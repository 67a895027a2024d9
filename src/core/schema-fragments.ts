/** JSON Schema pieces shared by several modules, so one rule is written once. */
export const ensure = {
  type: 'string',
  enum: ['present', 'absent'],
  default: 'present',
  description: 'present (default) creates or updates the resource; absent removes it.',
} as const;

export const absolutePath = {
  type: 'string',
  pattern: '^/(?!.*(^|/)\\.\\.?(/|$))[^\\x00]*[^/\\x00]$',
  description: 'An absolute, normalised path (no "." or ".." segments, no trailing slash, not "/").',
} as const;

/** POSIX user and group names as useradd accepts them (Debian's default NAME_REGEX, relaxed). */
export const accountName = {
  type: 'string',
  pattern: '^[a-z_][a-z0-9_-]*\\$?$',
  maxLength: 32,
  description: 'A POSIX account name: lower case letters, digits, "_" and "-", starting with a letter or "_".',
} as const;

export const ownerRef = {
  type: 'string',
  pattern: '^([a-z_][a-z0-9_-]*\\$?|[0-9]+)$',
  maxLength: 32,
  description: 'A user or group, by name or numeric id.',
} as const;

export const fileMode = {
  type: 'string',
  pattern: '^0?[0-7]{3,4}$',
  description: 'Octal permission bits as a quoted string, e.g. "0644". (Quote it: YAML reads 0644 as the number 644.)',
} as const;
