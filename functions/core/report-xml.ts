import type { ApiFlavor } from './api-flavor.js';
import type { ReportType } from './report-query.js';
import type { SupportSession } from './session.js';
import { hms, isoSeconds, leaf, rootOpen, unixSeconds, XML_DECLARATION, xmlAttr, xmlText } from './xml.js';

/** Root element of each report type. */
export const REPORT_ROOTS: Record<ReportType, string> = {
  SupportSession: 'session_list',
  SupportSessionListing: 'session_summary_list',
};

export const reportHead = (type: ReportType, flavor: ApiFlavor) => `${XML_DECLARATION}${rootOpen(REPORT_ROOTS[type], flavor.namespace)}\n`;
export const reportTail = (type: ReportType) => `</${REPORT_ROOTS[type]}>\n`;

const timestamped = (name: string, iso: string | undefined) =>
  iso === undefined ? '' : `<${name} timestamp="${unixSeconds(iso)}">${isoSeconds(iso)}</${name}>`;

/** One `<session>` of SupportSession (element order fixed by reporting.xsd). */
export function sessionXml(s: SupportSession, flavor: ApiFlavor): string {
  return (
    `<session lsid="${xmlAttr(s.lsid)}">` +
    leaf('session_type', s.sessionType) +
    (flavor.guidLsid && s.lseq !== undefined ? leaf('lseq', s.lseq) : '') +
    timestamped('start_time', s.startTime) +
    timestamped('end_time', s.endTime) +
    (s.duration !== undefined ? leaf('duration', hms(s.duration)) : '') +
    leaf('public_site', s.publicSiteName, { id: s.publicSiteId }) +
    leaf('external_key', s.externalKey) +
    leaf('file_transfer_count', s.fileTransfers) +
    `<customer_list><customer gsnumber="1">${leaf('username', s.customerName)}${leaf('hostname', s.hostName)}</customer></customer_list>` +
    `<rep_list><representative gsnumber="2">${leaf('display_name', s.representativeName)}</representative></rep_list>` +
    (s.endReason ? leaf('end_reason', s.endReason) : '') +
    '</session>\n'
  );
}

/** The attributes a `<session_summary>` shows: a listing reads just these from the store. */
export const SUMMARY_FIELDS = ['lsid', 'lseq', 'startTime', 'externalKey'] as const satisfies readonly (keyof SupportSession)[];
export type SessionSummary = Pick<SupportSession, (typeof SUMMARY_FIELDS)[number]>;

/** One `<session_summary>` of SupportSessionListing. */
export function sessionSummaryXml(s: SessionSummary, flavor: ApiFlavor): string {
  return (
    `<session_summary lsid="${xmlAttr(s.lsid)}">` +
    (flavor.guidLsid && s.lseq !== undefined ? `<lseq>${s.lseq}</lseq>` : '') +
    timestamped('start_time', s.startTime) +
    `<external_key>${xmlText(s.externalKey)}</external_key><has_recording>0</has_recording></session_summary>\n`
  );
}

/** The vendor's XML error body: `<error>message</error>` in the API namespace (plus our stable code). */
export const errorXml = (message: string, code: string, namespace: string | undefined) =>
  `${XML_DECLARATION}${rootOpen('error', namespace, { code })}${xmlText(message)}</error>\n`;

