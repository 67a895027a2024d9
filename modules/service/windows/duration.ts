/**
 * Durations as Task Scheduler and people write them: ISO 8601 (`PT30S`, `P1DT2H`), .NET
 * TimeSpan (`00:00:30`, `1.02:00:00`) or a number of seconds. Compared in seconds, so `PT30S`
 * and `00:00:30` are the same delay.
 */

const ISO = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;
const TIMESPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/;

/** Seconds, or null for text that is no duration. `PT0S` and '' mean zero (Task Scheduler: no limit). */
export function durationSeconds(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return 0;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  const v = value.trim();
  let m = ISO.exec(v);
  if (m && v !== 'P' && !/T$/i.test(v)) {
    const [, d, h, min, s] = m;
    return Math.round((Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0)) * 1000) / 1000;
  }
  m = TIMESPAN.exec(v);
  if (m) {
    const [, d, h, min, s] = m;
    return Math.round((Number(d ?? 0) * 86400 + Number(h) * 3600 + Number(min) * 60 + Number(s)) * 1000) / 1000;
  }
  return /^\d+(\.\d+)?$/.test(v) ? Number(v) : null;
}

/** Seconds as the ISO 8601 duration Task Scheduler stores (`PT30S`, `PT1H30M`, `P3D`). */
export function isoDuration(seconds: number): string {
  let s = Math.round(seconds);
  if (s === 0) return 'PT0S';
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const time = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
  return `P${d ? `${d}D` : ''}${time ? `T${time}` : ''}`;
}

export const sameDuration = (a: string | number | null | undefined, b: string | number | null | undefined): boolean => {
  const x = durationSeconds(a);
  const y = durationSeconds(b);
  return x !== null && x === y;
};
