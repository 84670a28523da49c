import { describe, expect, it } from 'vitest';
import { planUpgrade, type PlanInput } from '../../../functions/control-plane/core/plan.js';
import { estimateInstallMinutes } from '../../../functions/platform/core/install.js';
import { localHourOfWeek } from '../../../functions/platform/core/schedule.js';
import { buildTrafficProfile, busyHoursIn, quietestWindows } from '../../../functions/platform/core/busy-hours.js';
import { sampleAppliance } from '../../helpers/fixtures.js';

const HOUR = 3_600_000;
const from = Date.parse('2026-10-05T00:00:00Z'); // a Monday, UTC
const to = from + 28 * 24 * HOUR;

/** Four weeks of history: 20 sessions an hour on weekdays 09:00-17:00 Tokyo time, 1 an hour otherwise. */
function tokyoBusinessHours(): number[] {
  const starts: number[] = [];
  for (let t = from; t < to; t += HOUR) {
    const h = localHourOfWeek(t, 'Asia/Tokyo');
    const n = h < 5 * 24 && h % 24 >= 9 && h % 24 < 17 ? 20 : 1;
    for (let i = 0; i < n; i++) starts.push(t + i * 1000);
  }
  return starts;
}

describe('[混んでいないトラフィック時間内にメンテナンス枠: schedule maintenance windows in low-traffic periods] busy hours from session history', () => {
  it('counts sessions per hour of the week in the window\'s time zone, DST-correct', () => {
    expect(localHourOfWeek(Date.parse('2026-10-05T00:00:00Z'), 'Asia/Tokyo')).toBe(9); // Monday 09:00 JST
    expect(localHourOfWeek(Date.parse('2026-10-04T23:30:00Z'), 'UTC')).toBe(6 * 24 + 23); // Sunday 23:30
    // New York: 13:00 UTC is 09:00 in summer (EDT) and 08:00 in winter (EST).
    expect(localHourOfWeek(Date.parse('2026-10-05T13:00:00Z'), 'America/New_York') % 24).toBe(9);
    expect(localHourOfWeek(Date.parse('2026-11-09T13:00:00Z'), 'America/New_York') % 24).toBe(8);
    const profile = buildTrafficProfile(tokyoBusinessHours(), { fromMs: from, toMs: to, timeZone: 'Asia/Tokyo' });
    expect(profile.perHour[10]).toBe(20); // Monday 10:00
    expect(profile.perHour[2]).toBe(1); // Monday 02:00
    expect(profile.busyThreshold).toBe(10);
    expect(profile.sessions).toBe(4 * (5 * 8 * 20 + (168 - 40)));
  });

  it('flags a window that falls in busy hours, and proposes the quietest windows of the next 14 days that fit', () => {
    const profile = buildTrafficProfile(tokyoBusinessHours(), { fromMs: from, toMs: to, timeZone: 'Asia/Tokyo' });
    const mondayNoon = Date.parse('2026-11-02T03:00:00Z'); // 12:00 JST
    expect(busyHoursIn(profile, mondayNoon, 120).map((b) => b.label)).toEqual(['Mon 12:00', 'Mon 13:00']);
    expect(busyHoursIn(profile, Date.parse('2026-11-02T17:00:00Z'), 120)).toEqual([]); // 02:00 JST
    const suggested = quietestWindows(profile, { fromMs: Date.parse('2026-11-01T00:00:00Z'), days: 14, durationMinutes: 180, count: 3 });
    expect(suggested).toHaveLength(3);
    for (const w of suggested) {
      expect(w.expectedSessions).toBe(3); // three quiet hours at 1 session each
      expect(busyHoursIn(profile, Date.parse(w.start), 180)).toEqual([]);
      expect(w.localStart).toMatch(/\+09:00$/);
    }
    // Non-overlapping, and all within the 14 days.
    const starts = suggested.map((w) => Date.parse(w.start)).sort((a, b) => a - b);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(3 * HOUR);
    expect(starts.at(-1)!).toBeLessThan(Date.parse('2026-11-15T00:00:00Z'));
  });

  it('the plan warns about a busy window and suggests quiet ones sized to the estimated work', () => {
    const profile = buildTrafficProfile(tokyoBusinessHours(), { fromMs: from, toMs: to, timeZone: 'Asia/Tokyo' });
    const a = { ...sampleAppliance('s', { productVersion: '11.1.0', baseVersion: '3.2.6', storedDataGb: 900 }), version: 1 };
    const input: PlanInput = {
      package: { packageId: 'bomgar-11.1.1', name: 'Bomgar-11.1.1', version: '11.1.1', prerequisites: {} },
      primary: { appliance: a, lastBackupAt: '2026-11-01T00:00:00.000Z' },
      now: '2026-11-01T00:00:00.000Z',
      estimateInstallMinutes,
      traffic: profile,
      windows: [{ start: '2026-11-02T02:00:00.000Z', durationMinutes: 180, timeZone: 'Asia/Tokyo' }],
    };
    const plan = planUpgrade(input);
    expect(plan.risks.find((r) => r.code === 'WindowInBusyHours')?.message).toContain('Mon 11:00');
    // Work: backup 5 + install 105 (900 GB) + verify 10 = 120 min.
    expect(plan.suggestedWindows?.map((w) => w.durationMinutes)).toEqual([120, 120, 120]);
    expect(plan.traffic?.busiest[0]).toMatchObject({ sessionsPerHour: 20 });
  });
});
