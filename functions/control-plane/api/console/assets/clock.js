// One clock for the console and the CLI (functions/<system>/cli imports this file too): every time in a window's
// time zone with its offset, UTC beside it on hover. Plain ES module, no dependencies (Intl only).

const formatters = new Map();
function partsOf(ms, timeZone) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'longOffset' });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  // longOffset is "GMT+09:00", or "GMT" for UTC itself.
  const offset = p.timeZoneName === 'GMT' ? '+00:00' : String(p.timeZoneName).replace('GMT', '');
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}:${p.second}`, offset };
}

/** "2026-12-02 01:00:00 +09:00": the instant as the clock on the wall of `timeZone` shows it, with the offset. */
export function formatClock(instant, timeZone) {
  const ms = new Date(instant).getTime();
  if (Number.isNaN(ms)) return '—';
  const p = partsOf(ms, timeZone || 'UTC');
  return `${p.date} ${p.time} ${p.offset}`;
}

/** "2026-12-01 16:00:00 UTC": the hover text. */
export function formatUtc(instant) {
  const ms = new Date(instant).getTime();
  if (Number.isNaN(ms)) return '—';
  const p = partsOf(ms, 'UTC');
  return `${p.date} ${p.time} UTC`;
}

/** The zone's offset at that instant: "+09:00". */
export function offsetOf(instant, timeZone) {
  return partsOf(new Date(instant).getTime(), timeZone || 'UTC').offset;
}

/** "<1 min", "17 min", "2.5 h": modelled minutes as an operator reads them. */
export function formatMinutes(minutes) {
  if (minutes === undefined || minutes === null || Number.isNaN(minutes)) return '—';
  if (minutes < 1) return '<1 min';
  if (minutes >= 120) return `${Math.round(minutes / 6) / 10} h`;
  return `${Math.round(minutes)} min`;
}
