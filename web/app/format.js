// Why this file exists: dates and sizes are shown in many places and must be
// shown the same way. Photos carry their own wall-clock time ("local date
// time", stored as if it were UTC), so every date here is formatted in UTC to
// show the time the photo was taken where it was taken, not the viewer's zone.

const fmt = (opts) => new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', ...opts });
const MONTH = fmt({ month: 'long', year: 'numeric' });
const MONTH_SHORT = fmt({ month: 'short' });
const DAY = fmt({ weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
const DATETIME = fmt({ weekday: 'short', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const DATE_LONG = fmt({ day: 'numeric', month: 'long', year: 'numeric' });

/** "2019-07-01…" → "July 2019". */
export function monthLabel(bucket) {
  return MONTH.format(new Date(bucket.slice(0, 10) + 'T00:00:00Z'));
}

export function monthShort(bucket) {
  return MONTH_SHORT.format(new Date(bucket.slice(0, 10) + 'T00:00:00Z'));
}

/** A day key ("2019-07-12") → "Fri, 12 Jul 2019". */
export function dayLabel(dayKey) {
  return DAY.format(new Date(dayKey + 'T00:00:00Z'));
}

/** Milliseconds of local wall-clock time → "Fri, 12 July 2019, 18:15". */
export function dateTime(localMs) {
  return DATETIME.format(new Date(localMs));
}

export function dateLong(localMs) {
  return DATE_LONG.format(new Date(localMs));
}

/** "UTC+2" / "+02:00" / "Europe/Paris" as the server gives it, or the offset in hours. */
export function zoneLabel(timeZone, offsetHours) {
  if (timeZone) return timeZone;
  if (offsetHours === undefined || offsetHours === null || Number.isNaN(offsetHours)) return '';
  if (offsetHours === 0) return 'UTC';
  const sign = offsetHours < 0 ? '-' : '+';
  const abs = Math.abs(offsetHours);
  const hh = Math.floor(abs);
  const mm = Math.round((abs - hh) * 60);
  return `UTC${sign}${hh}${mm ? ':' + String(mm).padStart(2, '0') : ''}`;
}

/** Bytes → "1.5 MiB". */
export function bytes(n) {
  if (n === null || n === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Milliseconds → "1:05" / "1:02:03". */
export function duration(ms) {
  if (!ms) return '';
  const s = Math.round(ms / 1000);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** Number with thousands separators. */
export function count(n) {
  return new Intl.NumberFormat().format(n);
}

/** "1 photo" / "3 photos". */
export function plural(n, one, many = one + 's') {
  return `${count(n)} ${n === 1 ? one : many}`;
}
