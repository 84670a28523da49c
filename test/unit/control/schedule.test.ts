import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { atExpression, decideFire, formatInZone, isIanaTimeZone, localToInstant, offsetMinutes, resolveWindow } from '../../../functions/platform/core/schedule.js';

describe('localToInstant', () => {
  it('maps wall-clock time in a zone without DST', () => {
    expect(localToInstant('2026-12-02T01:00', 'Asia/Tokyo')).toEqual({ instant: '2026-12-01T16:00:00.000Z', resolution: 'exact', offsetMinutes: 540 });
  });

  it('uses the summer offset in summer and the winter offset in winter', () => {
    expect(localToInstant('2026-07-01T02:00', 'Europe/Berlin').instant).toBe('2026-07-01T00:00:00.000Z');
    expect(localToInstant('2026-01-15T02:00', 'Europe/Berlin').instant).toBe('2026-01-15T01:00:00.000Z');
  });

  it('moves a time inside the spring-forward gap past the gap (02:30 does not exist on 2026-03-08 in New York)', () => {
    const r = localToInstant('2026-03-08T02:30', 'America/New_York');
    expect(r.resolution).toBe('gap-shifted');
    expect(r.instant).toBe('2026-03-08T07:30:00.000Z'); // 03:30 EDT
    expect(formatInZone(r.instant, 'America/New_York')).toBe('2026-03-08T03:30:00-04:00');
  });

  it('takes the earlier of two instants in the fall-back overlap (01:30 happens twice on 2026-11-01 in New York)', () => {
    const r = localToInstant('2026-11-01T01:30', 'America/New_York');
    expect(r.resolution).toBe('ambiguous-earlier');
    expect(r.instant).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT, not 01:30 EST (06:30Z)
  });

  it('handles half-hour zones and the southern hemisphere', () => {
    expect(localToInstant('2026-06-01T12:00', 'Asia/Kolkata').instant).toBe('2026-06-01T06:30:00.000Z');
    expect(localToInstant('2026-01-10T12:00', 'Australia/Sydney').offsetMinutes).toBe(660);
    expect(localToInstant('2026-07-10T12:00', 'Australia/Sydney').offsetMinutes).toBe(600);
  });

  it('refuses bad zones and bad local times with stable codes', () => {
    expect(() => localToInstant('2026-01-01T00:00', 'Mars/Olympus')).toThrow(expect.objectContaining({ code: 'InvalidTimeZone' }));
    expect(() => localToInstant('2026-01-01T00:00', '+09:00')).toThrow(expect.objectContaining({ code: 'InvalidTimeZone' }));
    expect(() => localToInstant('2026-02-30T00:00', 'UTC')).toThrow(expect.objectContaining({ code: 'InvalidLocalTime' }));
    expect(() => localToInstant('2026-01-01T00:00Z', 'UTC')).toThrow(expect.objectContaining({ code: 'InvalidLocalTime' }));
    expect(isIanaTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
  });

  it('round-trips: formatting the instant in the zone gives back the local time (outside gaps)', () => {
    const zones = ['America/New_York', 'Europe/London', 'Asia/Tokyo', 'Australia/Lord_Howe', 'America/Sao_Paulo'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }), fc.constantFrom(...zones), (ms, zone) => {
        const minute = Math.floor(ms / 60_000) * 60_000;
        const local = formatInZone(minute, zone).slice(0, 16);
        const r = localToInstant(local, zone);
        // Every instant's local time exists; in an overlap the earlier instant is chosen, so it is <= the original.
        expect(formatInZone(r.instant, zone).slice(0, 16)).toBe(local);
        expect(Date.parse(r.instant)).toBeLessThanOrEqual(minute);
        expect(offsetMinutes(Date.parse(r.instant), zone)).toBe(r.offsetMinutes);
      }),
      { numRuns: 300 },
    );
  });
});

describe('resolveWindow', () => {
  it('computes the end as elapsed minutes, across a DST change', () => {
    // 00:30 + 180 min on the night clocks go forward in Berlin ends at 04:30 local, 03:30 wall-clock hours later.
    const w = resolveWindow({ localStart: '2026-03-29T00:30', durationMinutes: 180, timeZone: 'Europe/Berlin' });
    expect(w.start).toBe('2026-03-28T23:30:00.000Z');
    expect(w.end).toBe('2026-03-29T02:30:00.000Z');
    expect(formatInZone(w.end, 'Europe/Berlin')).toBe('2026-03-29T04:30:00+02:00');
  });

  it('accepts an absolute instant instead, and refuses both or neither', () => {
    expect(resolveWindow({ start: '2026-12-01T16:00:00Z', durationMinutes: 60, timeZone: 'Asia/Tokyo' }).localStart).toBe('2026-12-02T01:00:00+09:00');
    expect(() => resolveWindow({ start: '2026-12-01T16:00:00Z', localStart: '2026-12-02T01:00', durationMinutes: 60, timeZone: 'UTC' })).toThrow(expect.objectContaining({ code: 'AmbiguousWindowStart' }));
    expect(() => resolveWindow({ durationMinutes: 60, timeZone: 'UTC' })).toThrow(expect.objectContaining({ code: 'InvalidWindowStart' }));
    expect(() => resolveWindow({ start: '2026-12-01 16:00', durationMinutes: 60, timeZone: 'UTC' })).toThrow(expect.objectContaining({ code: 'InvalidWindowStart' }));
    // days and hours that do not exist are refused, not rolled over to another day
    for (const start of ['2027-02-30T02:00:00Z', '2027-02-29T02:00:00Z', '2027-13-01T02:00:00Z', '2027-04-31T02:00:00+09:00', '2027-02-28T24:00:00Z']) {
      expect(() => resolveWindow({ start, durationMinutes: 60, timeZone: 'UTC' }), start).toThrow(expect.objectContaining({ code: 'InvalidWindowStart' }));
    }
    expect(resolveWindow({ start: '2028-02-29T23:59:00Z', durationMinutes: 60, timeZone: 'UTC' }).start).toBe('2028-02-29T23:59:00.000Z');
    expect(() => resolveWindow({ start: '2026-12-01T16:00:00Z', durationMinutes: 0, timeZone: 'UTC' })).toThrow(expect.objectContaining({ code: 'InvalidDuration' }));
  });
});

describe('decideFire', () => {
  const w = { start: '2026-12-01T16:00:00.000Z', end: '2026-12-01T18:00:00.000Z' };
  it('waits before the start, fires inside the window, reports missed after the end', () => {
    expect(decideFire(w, Date.parse('2026-12-01T15:59:00Z'))).toEqual({ action: 'wait', dueInMs: 60_000 });
    expect(decideFire(w, Date.parse('2026-12-01T16:00:00Z'))).toEqual({ action: 'fire', lateByMs: 0 });
    expect(decideFire(w, Date.parse('2026-12-01T17:59:59Z')).action).toBe('fire');
    expect(decideFire(w, Date.parse('2026-12-01T18:00:00Z')).action).toBe('missed');
  });
  it('builds EventBridge at() expressions in UTC', () => {
    expect(atExpression('2026-12-01T16:00:00.000Z')).toBe('at(2026-12-01T16:00:00)');
    expect(atExpression('2026-12-01T16:00:00.750Z')).toBe('at(2026-12-01T16:00:01)'); // rounded up, never early
  });
});
