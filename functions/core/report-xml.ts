import type { ApiFlavor } from './api-flavor.js';
import type { ReportType } from './report-query.js';
import type { SupportSession } from './session.js';
import { close, element, hms, isoSeconds, leaf, open, rootLeafDocument, rootOpen, unixSeconds, XML_DECLARATION } from './xml.js';

/** Root element of each report type. */
export const REPORT_ROOTS: Record<ReportType, string> = {
  SupportSession: 'session_list',
  SupportSessionListing: 'session_summary_list',
};

export const reportHead = (type: ReportType, flavor: ApiFlavor) => XML_DECLARATION + rootOpen(REPORT_ROOTS[type], flavor.namespace);
export const reportTail = (type: ReportType) => close(REPORT_ROOTS[type]);

const timestamped = (name: string, iso: string | undefined) => (iso === undefined ? '' : leaf(name, isoSeconds(iso), { timestamp: unixSeconds(iso) }));

/** One `<session>` of SupportSession (element order fixed by reporting.xsd). */
export function sessionXml(s: SupportSession, flavor: ApiFlavor): string {
  return (
    open('session', { lsid: s.lsid }) +
    leaf('session_type', s.sessionType) +
    (flavor.guidLsid && s.lseq !== undefined ? leaf('lseq', s.lseq) : '') +
    timestamped('start_time', s.startTime) +
    timestamped('end_time', s.endTime) +
    (s.duration !== undefined ? leaf('duration', hms(s.duration)) : '') +
    leaf('public_site', s.publicSiteName, { id: s.publicSiteId }) +
    leaf('external_key', s.externalKey) +
    leaf('file_transfer_count', s.fileTransfers) +
    element('customer_list', element('customer', leaf('username', s.customerName) + leaf('hostname', s.hostName), { gsnumber: 1 })) +
    element('rep_list', element('representative', leaf('display_name', s.representativeName), { gsnumber: 2 })) +
    (s.endReason ? leaf('end_reason', s.endReason) : '') +
    close('session')
  );
}

/** The attributes a `<session_summary>` shows: a listing reads just these from the store. */
export const SUMMARY_FIELDS = ['lsid', 'lseq', 'startTime', 'externalKey'] as const satisfies readonly (keyof SupportSession)[];
export type SessionSummary = Pick<SupportSession, (typeof SUMMARY_FIELDS)[number]>;

/** One `<session_summary>` of SupportSessionListing. */
export function sessionSummaryXml(s: SessionSummary, flavor: ApiFlavor): string {
  return (
    open('session_summary', { lsid: s.lsid }) +
    (flavor.guidLsid && s.lseq !== undefined ? leaf('lseq', s.lseq) : '') +
    timestamped('start_time', s.startTime) +
    leaf('external_key', s.externalKey) +
    leaf('has_recording', 0) +
    close('session_summary')
  );
}

/** The vendor's XML error body: `<error>message</error>` in the API namespace (plus our stable code). */
export const errorXml = (message: string, code: string, namespace: string | undefined) => rootLeafDocument('error', namespace, message, { code });

