import type { ApiFlavor } from './api-flavor.js';
import { REPORT_ROOTS, type ReportType } from './report-query.js';
import { customerActor, customersOf, eventsOf, primaryCustomerOf, primaryRepOf, representativesOf } from './report-session.js';
import type { LicenseInterval, SummaryRow, TeamActivity } from './report-summary.js';
import type { ExitSurvey, SessionActor, SessionEvent, SupportSession } from './session.js';
import { isAtLeast } from '../../platform/core/versions.js';
import { close, element, empty, hms, isoSeconds, leaf, open, rootLeafDocument, rootOpen, unixSeconds, XML_DECLARATION } from './xml.js';

/*
 * The reporting API's documents, one element per line, in the element order reporting.xsd fixes
 * (docs/vendor-api.md §5 says which element comes from which source and version).
 */

export { REPORT_ROOTS };

/** What a session rendering needs beyond the session: the appliance's API flavor and its site hostname. */
export interface ReportContext {
  flavor: ApiFlavor;
  /** The site's public hostname (chat transcript URLs point at it). */
  hostname: string;
}

/** `<custom_attributes>` in SupportSession from API 1.11.0 (product 14.1, where session.custom.* appears). */
export const CUSTOM_ATTRIBUTES_SINCE = '1.11.0';

export const reportHead = (type: ReportType, flavor: ApiFlavor) => XML_DECLARATION + rootOpen(REPORT_ROOTS[type], flavor.namespace);
export const reportTail = (type: ReportType) => close(REPORT_ROOTS[type]);

const timestamped = (name: string, iso: string | undefined) => (iso === undefined ? '' : leaf(name, isoSeconds(iso), { timestamp: unixSeconds(iso) }));
const actor = (name: string, a: SessionActor | undefined) => (a ? leaf(name, a.name, { type: a.type, gsnumber: a.gsnumber }) : '');
const values = (pairs: { name: string; value: string }[]) => pairs.map((p) => empty('value', { name: p.name, value: p.value })).join('');
const repId = (id: number) => (id > 0 ? id : undefined);

function eventXml(e: SessionEvent): string {
  return (
    open('event', { timestamp: unixSeconds(e.timestamp), event_type: e.eventType }) +
    actor('performed_by', e.performedBy) +
    actor('destination', e.destination) +
    leaf('body', e.body) +
    (e.data && e.data.length > 0 ? element('data', values(e.data)) : '') +
    close('event')
  );
}

/** A survey inside a session: `<cust_exit_survey gsnumber>` / `<rep_exit_survey gsnumber>` with `<value name value/>`. */
const embeddedSurvey = (name: string, survey: ExitSurvey) => element(name, values(survey.answers.map((a) => ({ name: a.name, value: a.answer }))), { gsnumber: survey.gsnumber });

const chatUrl = (s: SupportSession, hostname: string, view: boolean) =>
  `https://${hostname}/session_download?lsid=${encodeURIComponent(s.lsid)}&dl_action=chat${view ? '&view=1' : ''}`;

/** One `<session>` of SupportSession. */
export function sessionXml(s: SupportSession, { flavor, hostname }: ReportContext): string {
  const customers = customersOf(s);
  const reps = representativesOf(s);
  const primaryCustomer = primaryCustomerOf(s);
  const primaryRep = primaryRepOf(s);
  const custom = Object.entries(s.customAttributes ?? {});
  return (
    open('session', { lsid: s.lsid }) +
    leaf('session_type', s.sessionType) +
    (flavor.guidLsid && s.lseq !== undefined ? leaf('lseq', s.lseq) : '') +
    timestamped('start_time', s.startTime) +
    timestamped('end_time', s.endTime) +
    (s.duration !== undefined ? leaf('duration', hms(s.duration)) : '') +
    leaf('public_site', s.publicSiteName, { id: s.publicSiteId }) +
    leaf('external_key', s.externalKey) +
    (isAtLeast(flavor.apiVersion, CUSTOM_ATTRIBUTES_SINCE)
      ? custom.length === 0
        ? leaf('custom_attributes', '')
        : element('custom_attributes', custom.map(([code, value]) => leaf('custom_attribute', value, { display_name: code, code_name: code })).join(''))
      : '') +
    leaf('session_chat_view_url', chatUrl(s, hostname, true)) +
    leaf('session_chat_download_url', chatUrl(s, hostname, false)) +
    leaf('file_transfer_count', s.fileTransfers) +
    (primaryCustomer ? leaf('primary_customer', customerActor(primaryCustomer).name, { gsnumber: primaryCustomer.gsnumber }) : '') +
    (primaryRep ? leaf('primary_rep', primaryRep.displayName, { gsnumber: primaryRep.gsnumber, id: repId(primaryRep.id) }) : '') +
    element(
      'customer_list',
      customers
        .map((c) =>
          element(
            'customer',
            leaf('primary_cust', c.primary ? 1 : 0) +
              element('info', leaf('name', c.info.name ?? '') + leaf('company', c.info.company ?? '') + leaf('company_code', c.info.companyCode ?? '') + leaf('issue', c.info.issue ?? '') + leaf('details', c.info.details ?? '')) +
              leaf('username', c.username) +
              leaf('public_ip', c.publicIp) +
              leaf('private_ip', c.privateIp) +
              leaf('hostname', c.hostname) +
              leaf('os', c.os),
            { gsnumber: c.gsnumber },
          ),
        )
        .join(''),
    ) +
    element(
      'rep_list',
      reps
        .map((r) =>
          element(
            'representative',
            leaf('primary_rep', r.primary ? 1 : 0) +
              leaf('username', r.username) +
              leaf('display_name', r.displayName) +
              leaf('public_ip', r.publicIp) +
              leaf('private_ip', r.privateIp) +
              leaf('hostname', r.hostname) +
              leaf('os', r.os) +
              leaf('seconds_involved', r.secondsInvolved),
            { gsnumber: r.gsnumber, id: repId(r.id) },
          ),
        )
        .join(''),
    ) +
    (s.customerSurveys?.length ? element('cust_survey_list', s.customerSurveys.map((v) => embeddedSurvey('cust_exit_survey', v)).join('')) : '') +
    (s.representativeSurveys?.length ? element('rep_survey_list', s.representativeSurveys.map((v) => embeddedSurvey('rep_exit_survey', v)).join('')) : '') +
    element('session_details', eventsOf(s).map(eventXml).join('')) +
    close('session')
  );
}

/** What a `<session_summary>` shows: a listing reads just these from the store. */
export interface ListingEntry {
  lsid: string;
  externalKey?: string;
}

/** One `<session_summary lsid external_key has_recording/>` of SupportSessionListing (no recordings are emulated). */
export const sessionSummaryXml = (s: ListingEntry) => empty('session_summary', { lsid: s.lsid, external_key: s.externalKey ? s.externalKey : undefined, has_recording: 0 });

/** One `<summary>` of SupportSessionSummary: who (representative, team or public site) and the session statistics. */
export function summaryXml(row: SummaryRow, by: 'rep' | 'team' | 'site'): string {
  const who = by === 'rep' ? leaf('representative', row.name, { id: repId(row.id) }) : by === 'team' ? leaf('team', row.name, { id: row.id }) : leaf('public_site', row.name, { id: row.id });
  return element(
    'summary',
    who +
      leaf('session_count', row.sessions) +
      leaf('completed_session_count', row.completed) +
      leaf('total_duration', hms(row.totalDuration)) +
      leaf('average_duration', hms(row.completed === 0 ? 0 : Math.round(row.totalDuration / row.completed))),
  );
}

/** One `<exit_survey>` of SupportCustExitSurvey / SupportRepExitSurvey. */
export function exitSurveyXml(s: SupportSession, survey: ExitSurvey, kind: 'customer' | 'rep'): string {
  const customer = primaryCustomerOf(s);
  const rep = primaryRepOf(s);
  const submitter = kind === 'rep' ? representativesOf(s).find((r) => r.gsnumber === survey.gsnumber) : customersOf(s).find((c) => c.gsnumber === survey.gsnumber);
  const submitterName = submitter === undefined ? '' : 'displayName' in submitter ? submitter.displayName : customerActor(submitter).name;
  return element(
    'exit_survey',
    leaf('submitted_by', submitterName, { type: kind, gsnumber: survey.gsnumber }) +
      (customer ? leaf('primary_customer', customerActor(customer).name, { gsnumber: customer.gsnumber }) : '') +
      (rep ? leaf('primary_rep', rep.displayName, { gsnumber: rep.gsnumber, id: repId(rep.id) }) : '') +
      element(
        'question_list',
        survey.answers
          .map((a) =>
            element(
              'question',
              leaf('type', a.type) + leaf('label', a.label) + leaf('name', a.name) + leaf('report_header', a.reportHeader ?? a.label) + element('answer_list', leaf('answer', a.answer)),
              { id: a.questionId },
            ),
          )
          .join(''),
      ),
    { lsid: s.lsid, timestamp: unixSeconds(survey.submittedAt) },
  );
}

/** The window a SupportTeam or LicenseUsage report covers, as its `<start_time>` / `<end_time>`. */
export const windowXml = (from: string, to: string) => timestamped('start_time', from) + timestamped('end_time', to);

/** One `<team_activity>` of SupportTeam. */
export function teamActivityXml(team: TeamActivity): string {
  return element(
    'team_activity',
    leaf('name', team.name) +
      element(
        'events',
        team.events
          .map((e) =>
            element(
              'event',
              (e.rep ? leaf('performed_by', e.rep.name, { type: 'representative', id: repId(e.rep.id) }) : leaf('performed_by', 'Bomgar', { type: 'system' })) + element('data', values([{ name: 'lsid', value: e.lsid }])),
              { timestamp: unixSeconds(e.timestamp), event_type: e.eventType },
            ),
          )
          .join(''),
      ),
    { id: team.teamId },
  );
}

/** LicenseUsage: the window, the grouping, and one `<license_time_interval>` per interval where peak usage was logged. */
export function licenseUsageXml(from: string, to: string, groupBy: string, licenseCount: number, intervals: LicenseInterval[]): string {
  return (
    windowXml(from, to) +
    leaf('group_by', groupBy) +
    element(
      'license_time_intervals',
      intervals
        .map((i) =>
          element(
            'license_time_interval',
            windowXml(i.from, i.to) + leaf('logged_in_rep_count', i.peakReps) + leaf('extended_availability_rep_count', 0) + leaf('licenses_in_use', i.peakReps) + leaf('license_count', licenseCount),
          ),
        )
        .join(''),
    )
  );
}

/**
 * A refusal of the reporting API: `<error>message</error>` inside the report's root when the report type is
 * known, as the root otherwise; in the API namespace from 1.5.0; no attributes (clients substring-match it).
 */
export const reportErrorXml = (message: string, namespace: string | undefined, root: string | undefined) =>
  root ? XML_DECLARATION + rootOpen(root, namespace) + leaf('error', message) + close(root) : rootLeafDocument('error', namespace, message);

/** The XML error body of the site APIs: `<error>message</error>` in the API namespace (plus our stable code). */
export const errorXml = (message: string, code: string, namespace: string | undefined) => rootLeafDocument('error', namespace, message, { code });
