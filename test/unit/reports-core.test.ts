import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateSession, prng } from '../../functions/emulator/app/session-generator.js';
import { apiFlavor } from '../../functions/emulator/core/api-flavor.js';
import { REPORT_ROOTS, REPORT_SINCE } from '../../functions/emulator/core/report-query.js';
import { isAtLeast } from '../../functions/platform/core/versions.js';
import { LicenseUsage, SessionSummary, TeamActivities } from '../../functions/emulator/core/report-summary.js';
import {
  exitSurveyXml,
  licenseUsageXml,
  reportErrorXml,
  reportHead,
  reportTail,
  sessionSummaryXml,
  sessionXml,
  summaryXml,
  teamActivityXml,
  windowXml,
} from '../../functions/emulator/core/report-xml.js';
import type { SupportSession } from '../../functions/emulator/core/session.js';
import { reportingXsd } from '../../functions/emulator/core/xsd.js';
import { sampleSession } from '../helpers/sessions.js';
import { expectValid, xsdErrors } from '../helpers/xml.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const lsidOf = (i: number, guid: boolean) => (guid ? i.toString(16).padStart(32, '0') : String(i + 1));

function sessions(version: string, n = 20, seed = 3): SupportSession[] {
  const guid = apiFlavor(version).guidLsid;
  const random = prng(seed);
  return Array.from({ length: n }, (_, i) =>
    generateSession(random, { applianceId: 'a', lsid: lsidOf(i, guid), ...(guid ? { lseq: i + 1 } : {}), start: T0 + i * HOUR, end: i % 9 === 4 ? undefined : T0 + i * HOUR + 25 * 60_000 }),
  );
}

/** Every report this emulator writes, for the sessions given. */
function allReports(version: string, list: SupportSession[]): Record<string, string> {
  const flavor = apiFlavor(version);
  const doc = (type: keyof typeof REPORT_ROOTS, body: string) => reportHead(type, flavor) + body + reportTail(type);
  const docs: Record<string, string> = {
    SupportSession: doc('SupportSession', list.map((s) => sessionXml(s, { flavor, hostname: 'a.support.example.com' })).join('')),
    SupportSessionListing: doc('SupportSessionListing', list.map(sessionSummaryXml).join('')),
    SupportCustExitSurvey: doc('SupportCustExitSurvey', list.flatMap((s) => (s.customerSurveys ?? []).map((v) => exitSurveyXml(s, v, 'customer'))).join('')),
    SupportRepExitSurvey: doc('SupportRepExitSurvey', list.flatMap((s) => (s.representativeSurveys ?? []).map((v) => exitSurveyXml(s, v, 'rep'))).join('')),
  };
  for (const by of ['rep', 'team', 'site'] as const) {
    const summary = new SessionSummary(by);
    list.forEach((s) => summary.add(s));
    docs[`SupportSessionSummary:${by}`] = doc('SupportSessionSummary', summary.result().map((r) => summaryXml(r, by)).join(''));
  }
  const teams = new TeamActivities();
  list.forEach((s) => teams.add(s));
  const [from, to] = [new Date(T0).toISOString(), new Date(T0 + 48 * HOUR).toISOString()];
  docs.SupportTeam = doc('SupportTeam', windowXml(from, to) + teams.result().map(teamActivityXml).join(''));
  if (isAtLeast(flavor.apiVersion, REPORT_SINCE.LicenseUsage)) {
    const usage = new LicenseUsage(T0, T0 + 48 * HOUR, 'hour', 1);
    list.forEach((s) => usage.add(s));
    docs.LicenseUsage = doc('LicenseUsage', licenseUsageXml(from, to, 'hour', 1, usage.result()));
  }
  return docs;
}

describe('report documents against the served schema, per version', () => {
  for (const version of ['10.5.2', '10.6.0', '14.1.0']) {
    it(`${version}: every report validates; namespace and lseq by version`, async () => {
      const flavor = apiFlavor(version);
      const xsd = reportingXsd(flavor);
      const docs = allReports(version, [...sessions(version), sampleSession('a', lsidOf(99, flavor.guidLsid), flavor.guidLsid ? { lseq: 100 } : {})]);
      if (version === '14.1.0') expect(docs.LicenseUsage).toContain('<license_time_interval>');
      for (const [name, xml] of Object.entries(docs)) {
        expect(await xsdErrors(xml, xsd), name).toEqual([]);
        expect(xml.split('\n')[1]!.includes('xmlns='), name).toBe(flavor.namespace !== undefined);
        expect(xml).not.toMatch(/<[a-z_]+:/); // never a prefix
      }
      expect(docs.SupportSession!.includes('<lseq>')).toBe(flavor.guidLsid);
      expect(docs.SupportSession!.includes('<custom_attributes')).toBe(version === '14.1.0');
      // the guide's example: lseq right after session_type
      if (flavor.guidLsid) expect(docs.SupportSession).toMatch(/<session_type>support<\/session_type>\n<lseq>\d+<\/lseq>\n<start_time timestamp="\d+">/);
    });
  }

  it('a document of one version does not validate against another version’s schema', async () => {
    const modern = allReports('14.1.0', sessions('14.1.0', 5));
    expect((await xsdErrors(modern.SupportSession!, reportingXsd(apiFlavor('10.5.2')))).length).toBeGreaterThan(0);
    // LicenseUsage has no root before 1.10.0
    expect((await xsdErrors(modern.LicenseUsage!.replace(/ xmlns="[^"]*"/, ''), reportingXsd(apiFlavor('10.5.2')))).length).toBeGreaterThan(0);
    const legacy = allReports('10.5.2', sessions('10.5.2', 5));
    expect((await xsdErrors(legacy.SupportSession!, reportingXsd(apiFlavor('10.6.0')))).length).toBeGreaterThan(0);
  });

  it('refusals validate: `<error>` inside a report root, or as the root, no attributes', async () => {
    for (const version of ['10.5.2', '10.6.0']) {
      const flavor = apiFlavor(version);
      const xsd = reportingXsd(flavor);
      for (const root of [...new Set(Object.values(REPORT_ROOTS))].filter((r) => r !== 'license_usage')) {
        const xml = reportErrorXml('start_date must be a calendar date <YYYY-MM-DD> & "so on"', flavor.namespace, root);
        await expectValid(xml, xsd);
        expect(xml).toContain('\n<error>start_date must be a calendar date &lt;YYYY-MM-DD&gt; &amp; "so on"</error>\n');
      }
      await expectValid(reportErrorXml('unknown report type', flavor.namespace, undefined), xsd);
    }
  });

  it('hostile text in every field of the richer record stays text and keeps every report valid (property)', async () => {
    const xsd = reportingXsd(apiFlavor('14.1.0'));
    const hostile = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('</session><x/>', ']]>', '"\'&<>', '\u0000\u0008\uFFFE', '\uD800', 'a\r\nb\tc'));
    const samples = fc.sample(fc.array(hostile, { minLength: 12, maxLength: 12 }), 15);
    const list = samples.map((t, i) => {
      const s = sessions('14.1.0', 1, i + 1)[0]!;
      const c = s.customers![0]!;
      const r = s.representatives![0]!;
      return {
        ...s,
        lsid: lsidOf(i, true),
        externalKey: t[0]!,
        publicSiteName: t[1]!,
        customers: [{ ...c, username: t[2]!, info: { name: t[3]!, company: t[4]!, issue: t[5]! }, hostname: t[6]! }],
        representatives: [{ ...r, displayName: t[7]!, username: t[8]! }],
        events: [...s.events!, { timestamp: s.startTime, eventType: t[9]!, body: t[10]!, data: [{ name: t[11]!, value: t[0]! }] }],
        customAttributes: { [t[1]!]: t[2]! },
        teamName: t[3]!,
        customerSurveys: [{ gsnumber: 2, submittedAt: s.startTime, answers: [{ questionId: 1, name: t[4]!, label: t[5]!, type: t[6]!, answer: t[7]! }] }],
      } satisfies SupportSession;
    });
    const docs = allReports('14.1.0', list);
    for (const [name, xml] of Object.entries(docs)) {
      expect(await xsdErrors(xml, xsd), name).toEqual([]);
      expect(xml, name).not.toContain('<x/>');
    }
  });
});

describe('SupportSession: the vendor’s full record, and sessions stored before it existed', () => {
  it('a rich session shows participants, surveys and events; counting lines counts elements', () => {
    const s = sessions('14.1.0', 60).find((x) => x.customerSurveys && x.representatives!.length > 1 && x.status === 'completed')!;
    expect(s).toBeDefined();
    const xml = sessionXml(s, { flavor: apiFlavor('14.1.0'), hostname: 'a.support.example.com' });
    const lines = xml.trimEnd().split('\n');
    for (const line of lines) expect(line.match(/<[a-z_]+[ >/]/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
    expect(lines.filter((l) => l.startsWith('<event ')).length).toBe(s.events!.length);
    expect(lines.filter((l) => l.startsWith('<representative ')).length).toBe(2);
    expect(xml).toContain(`<primary_rep gsnumber="3" id="${s.representatives![0]!.id}">${s.representativeName}</primary_rep>`);
    expect(xml).toContain('<cust_survey_list>\n<cust_exit_survey gsnumber="2">\n<value name="rating" value="');
    expect(xml).toContain(`<session_chat_view_url>https://a.support.example.com/session_download?lsid=${s.lsid}&amp;dl_action=chat&amp;view=1</session_chat_view_url>`);
    expect(xml).toMatch(/<event timestamp="\d+" event_type="Session End">\n<performed_by type="system" gsnumber="0">Bomgar<\/performed_by>\n<\/event>\n<\/session_details>/);
  });

  it('a session stored with only the old fields renders from them: one customer, one representative without an id, start and end events', () => {
    const xml = sessionXml(sampleSession('a', '17', { customerName: 'k.yamamoto', representativeName: 'Ben Ortiz', hostName: 'ws-1' }), { flavor: apiFlavor('10.5.2'), hostname: 'h' });
    expect(xml).toContain('<primary_customer gsnumber="1">k.yamamoto</primary_customer>\n<primary_rep gsnumber="2">Ben Ortiz</primary_rep>');
    expect(xml).toContain('<customer gsnumber="1">\n<primary_cust>1</primary_cust>\n<info>\n<name>k.yamamoto</name>');
    expect(xml).toContain('<hostname>ws-1</hostname>');
    expect(xml).toContain('<representative gsnumber="2">\n<primary_rep>1</primary_rep>\n<username></username>\n<display_name>Ben Ortiz</display_name>\n<seconds_involved>1200</seconds_involved>');
    expect(xml.match(/<event /g)).toHaveLength(3);
    expect(xml).not.toContain('end_reason');
  });

  it('the listing shows lsid, external key (when set) and has_recording, one self-closing line per session', () => {
    expect(sessionSummaryXml({ lsid: 'abc', externalKey: 'INC1 "x"' })).toBe('<session_summary lsid="abc" external_key="INC1 &quot;x&quot;" has_recording="0"/>\n');
    expect(sessionSummaryXml({ lsid: 'abc', externalKey: '' })).toBe('<session_summary lsid="abc" has_recording="0"/>\n');
  });
});

describe('aggregate reports', () => {
  const at = (h: number) => new Date(T0 + h * HOUR).toISOString();
  const withReps = (lsid: string, from: number, to: number | undefined, reps: number[], extra: Partial<SupportSession> = {}) =>
    sampleSession('a', lsid, {
      startTime: at(from),
      ...(to === undefined ? { status: 'active', endTime: undefined, duration: undefined } : { endTime: at(to), duration: (to - from) * 3600 }),
      representatives: reps.map((id, i) => ({ gsnumber: 3 + i, id, username: `r${id}`, displayName: `Rep ${id}`, primary: i === 0, secondsInvolved: 60 })),
      ...extra,
    });

  it('LicenseUsage: a representative in two sessions at once uses one license; only intervals at the threshold are logged', () => {
    const usage = new LicenseUsage(T0, T0 + 6 * HOUR, 'hour', 2);
    [withReps('1', 0.2, 0.8, [1]), withReps('2', 0.5, 1.5, [1]), withReps('3', 1.2, 2, [2]), withReps('4', 3, 4, [3, 4]), withReps('5', 5.5, undefined, [5])].forEach((s) => usage.add(s));
    // hour 0: only rep 1 (twice) → 1, below 2; hour 1: reps 1 and 2 overlap → 2; hour 3: reps 3 and 4 → 2; a span ending at 4:00 does not reach hour 4
    expect(usage.result()).toEqual([
      { from: at(1), to: at(2), peakReps: 2 },
      { from: at(3), to: at(4), peakReps: 2 },
    ]);
    const daily = new LicenseUsage(T0, T0 + 48 * HOUR, 'day', 1);
    [withReps('1', 1, 2, [1]), withReps('2', 30, 31, [1])].forEach((s) => daily.add(s));
    expect(daily.result().map((i) => [i.from, i.peakReps])).toEqual([[at(0), 1], [at(24), 1]]);
    // a session still running counts up to the end of the window
    const open = new LicenseUsage(T0, T0 + 2 * HOUR, 'hour', 1);
    open.add(withReps('9', -5, undefined, [7]));
    expect(open.result()).toHaveLength(2);
  });

  it('SupportSessionSummary: by representative counts every participant, by team and site the routing', () => {
    const list = [withReps('1', 0, 1, [1, 2], { teamId: 4, teamName: 'Ops', publicSiteId: 2 }), withReps('2', 1, 3, [1], { teamId: 4, teamName: 'Ops' }), withReps('3', 2, undefined, [2])];
    const byRep = new SessionSummary('rep');
    list.forEach((s) => byRep.add(s));
    expect(byRep.result().map((r) => [r.id, r.sessions, r.completed, r.totalDuration])).toEqual([[1, 2, 2, 3 * 3600], [2, 2, 1, 3600]]);
    const byTeam = new SessionSummary('team');
    list.forEach((s) => byTeam.add(s));
    expect(byTeam.result()).toEqual([{ id: 4, name: 'Ops', sessions: 2, completed: 2, totalDuration: 3 * 3600 }]);
    const bySite = new SessionSummary('site');
    list.forEach((s) => bySite.add(s));
    expect(bySite.result().map((r) => [r.id, r.sessions])).toEqual([[1, 2], [2, 1]]);
    expect(summaryXml(byTeam.result()[0]!, 'team')).toBe('<summary>\n<team id="4">Ops</team>\n<session_count>2</session_count>\n<completed_session_count>2</completed_session_count>\n<total_duration>03:00:00</total_duration>\n<average_duration>01:30:00</average_duration>\n</summary>\n');
  });

  it('SupportTeam: each routed session enters the team queue and is accepted by its primary representative; team_id filters', () => {
    const list = [withReps('1', 0, 1, [1], { teamId: 2, teamName: 'B' }), withReps('2', 1, 2, [], { teamId: 1, teamName: 'A' }), withReps('3', 2, 3, [3])];
    const all = new TeamActivities();
    list.forEach((s) => all.add(s));
    expect(all.result().map((t) => [t.teamId, t.events.map((e) => e.eventType)])).toEqual([
      [1, ['Session Entered Team Queue']],
      [2, ['Session Entered Team Queue', 'Session Accepted by Team Member']],
    ]);
    const one = new TeamActivities(2);
    list.forEach((s) => one.add(s));
    expect(one.result().map((t) => t.teamId)).toEqual([2]);
  });
});
