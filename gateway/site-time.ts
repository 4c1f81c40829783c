// The site's local time (config site.timezone, an IANA zone such as Asia/Shanghai): the one
// place that turns epoch ms into local wall time and back. Energy periods, meals, kitchen
// rule hours, food-safety deadlines and the JGJ/T 285 uplink's timestamps all use it.

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at `at`, in ms (Asia/Shanghai: +8 h). */
export function zoneOffsetMs(at: number, timeZone: string): number {
  let fmt = offsetFormats.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    offsetFormats.set(timeZone, fmt);
  }
  const p = Object.fromEntries(fmt.formatToParts(new Date(at)).map((x) => [x.type, Number(x.value)]));
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** Epoch ms of a local wall time given as if it were UTC (`Date.UTC(y, m, d, h, mi, s)`). */
export function fromLocalWall(asUtc: number, timeZone: string): number {
  // the offset at the guessed instant, then once more in case that crossed a DST change
  const first = asUtc - zoneOffsetMs(asUtc, timeZone);
  return asUtc - zoneOffsetMs(first, timeZone);
}

/** Local date `YYYY-MM-DD` and time `HH:mm` at `ms`. */
export function localParts(ms: number, timeZone: string): { date: string; hhmm: string } {
  const iso = new Date(ms + zoneOffsetMs(ms, timeZone)).toISOString();
  return { date: iso.slice(0, 10), hhmm: iso.slice(11, 16) };
}

export function localDay(ms: number, timeZone: string): string {
  return localParts(ms, timeZone).date;
}

/** Epoch ms of `hhmm` (HH:mm) on the local `date` (YYYY-MM-DD). */
export function localTime(date: string, hhmm: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = hhmm.split(':').map(Number) as [number, number];
  return fromLocalWall(Date.UTC(y, m - 1, d, h, mi), timeZone);
}

/** Minutes since local midnight in the zone. */
export function localMinutes(at: number, timeZone: string): number {
  const local = at + zoneOffsetMs(at, timeZone);
  return Math.floor((((local % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
}
