import type { ApiFlavor } from '../core/api-flavor.js';
import type { Appliance } from '../../platform/core/appliance.js';
import { readAhead } from '../core/read-ahead.js';
import {
  exitSurveyXml,
  licenseUsageXml,
  reportHead,
  reportTail,
  sessionSummaryXml,
  sessionXml,
  summaryXml,
  teamActivityXml,
  windowXml,
  type ListingEntry,
  type ReportContext,
} from '../core/report-xml.js';
import type { ReportQuery, SessionSelection } from '../core/report-query.js';
import { representativesOf } from '../core/report-session.js';
import { LicenseUsage, SessionSummary, TeamActivities } from '../core/report-summary.js';
import type { SupportSession } from '../core/session.js';
import type { AppContext } from '../../platform/app/context.js';
import {
  activeSessions,
  getSession,
  iterateListingRecords,
  iterateSessionsAfterLseq,
  iterateSessionsByEnd,
  iterateSessionsByStart,
  listingRecordsComplete,
  maxSessionDuration,
  type SessionReads,
} from './session-store.js';

/** Sessions a selection picks, page by page (memory bounded by the page size). */
export async function* selectSessions<K extends keyof SupportSession = keyof SupportSession>(
  ctx: AppContext,
  applianceId: string,
  selection: SessionSelection,
  { pageSize = 1000, fields }: SessionReads<K> = {},
): AsyncGenerator<Pick<SupportSession, K>[]> {
  const reads = { pageSize, fields };
  switch (selection.kind) {
    case 'window':
      yield* selection.field === 'start'
        ? iterateSessionsByStart(ctx, applianceId, selection.from, selection.to, reads)
        : iterateSessionsByEnd(ctx, applianceId, selection.from, selection.to, reads);
      return;
    case 'lsids':
      for (let i = 0; i < selection.lsids.length; i += 100) {
        const found = await Promise.all(selection.lsids.slice(i, i + 100).map((lsid) => getSession(ctx, applianceId, lsid)));
        const page = found.filter((s): s is SupportSession => s !== undefined);
        if (page.length > 0) yield page;
      }
      return;
    case 'lseq': {
      let page: Pick<SupportSession, K>[] = [];
      for await (const s of iterateSessionsAfterLseq(ctx, applianceId, selection.from - 1, reads)) {
        page.push(s);
        if (page.length >= pageSize) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    }
  }
}

/** What a listing reads when listing records are not complete yet: the same two attributes, from the sessions. */
const LISTING_FIELDS = ['lsid', 'externalKey'] as const satisfies readonly (keyof SupportSession)[];

/**
 * The sessions a SupportSessionListing selects, as listing entries: from the listing records (narrow items in
 * start order) once the appliance has them all, otherwise from the sessions with a projection.
 */
export async function* selectListing(
  ctx: AppContext,
  applianceId: string,
  selection: Extract<SessionSelection, { kind: 'window' | 'lseq' }>,
  pageSize = 1000,
): AsyncGenerator<ListingEntry[]> {
  if (selection.kind === 'window' && (await listingRecordsComplete(ctx, applianceId))) {
    yield* iterateListingRecords(ctx, applianceId, selection.field, selection.from, selection.to, pageSize);
    return;
  }
  yield* selectSessions(ctx, applianceId, selection, { pageSize, fields: LISTING_FIELDS });
}

/**
 * Pages of whole sessions for the session reports: a rich session is ~4 KB of XML and its decoded record
 * several times that, so a smaller page than the listing's keeps the API process's memory flat (< 150 MB).
 */
const FULL_PAGE = 250;

/** One XML chunk per page; the next page is read while this one is rendered and sent. */
async function* pagesXml<T>(pages: AsyncIterable<T[]>, render: (item: T) => string): AsyncGenerator<string> {
  for await (const page of readAhead(pages)) {
    let chunk = '';
    for (const item of page) chunk += render(item);
    if (chunk) yield chunk;
  }
}

/** Folds every selected session into an aggregate (memory bounded by its groups). */
async function fold<T extends { add(s: SupportSession): void }>(sessions: AsyncIterable<SupportSession[]>, into: T): Promise<T> {
  for await (const page of readAhead(sessions)) for (const s of page) into.add(s);
  return into;
}

/**
 * A report as XML text chunks: the root start tag, its content (one chunk per page of sessions for the
 * session reports), the end tag. Callers stream it (HTTP body) so a 100,000-session report never sits in memory.
 */
export async function* reportXmlChunks(ctx: AppContext, appliance: Appliance, flavor: ApiFlavor, query: ReportQuery): AsyncGenerator<string> {
  const id = appliance.applianceId;
  const render: ReportContext = { flavor, hostname: appliance.hostname };
  yield reportHead(query.type, flavor);
  switch (query.type) {
    case 'SupportSession':
      yield* pagesXml(selectSessions(ctx, id, query.selection, { pageSize: FULL_PAGE }), (s) => sessionXml(s, render));
      break;
    case 'SupportSessionListing':
      yield* pagesXml(selectListing(ctx, id, query.selection), sessionSummaryXml);
      break;
    case 'SupportSessionSummary': {
      const summary = await fold(selectSessions(ctx, id, query.selection, { pageSize: FULL_PAGE }), new SessionSummary(query.by));
      yield summary.result().map((row) => summaryXml(row, query.by)).join('');
      break;
    }
    case 'SupportCustExitSurvey':
    case 'SupportRepExitSurvey': {
      const kind = query.type === 'SupportCustExitSurvey' ? 'customer' : 'rep';
      const matches = (s: SupportSession) =>
        query.id === undefined || (query.by === 'team' ? s.teamId === query.id : representativesOf(s).some((r) => r.id === query.id));
      yield* pagesXml(selectSessions(ctx, id, query.selection, { pageSize: FULL_PAGE }), (s) =>
        matches(s) ? ((kind === 'customer' ? s.customerSurveys : s.representativeSurveys) ?? []).map((v) => exitSurveyXml(s, v, kind)).join('') : '',
      );
      break;
    }
    case 'SupportTeam': {
      const { from, to } = resolved(ctx, query.selection);
      const activities = await fold(selectSessions(ctx, id, query.selection, { pageSize: FULL_PAGE }), new TeamActivities(query.teamId));
      yield windowXml(from, to) + activities.result().map(teamActivityXml).join('');
      break;
    }
    case 'LicenseUsage': {
      const { from, to } = resolved(ctx, query.selection);
      // A closed session running in the window started at most the longest duration before it; an active
      // one may have started earlier still, so those come from the active markers.
      const lookback = new Date(Date.parse(from) - ((await maxSessionDuration(ctx, id)) + 1) * 1000).toISOString();
      const count = appliance.license.licenseCount;
      const usage = await fold(iterateSessionsByStart(ctx, id, lookback, to, { pageSize: FULL_PAGE }), new LicenseUsage(Date.parse(from), Date.parse(to), query.groupBy, Math.ceil(count * 0.9)));
      for (const s of await activeSessions(ctx, id)) if (s.startTime < lookback) usage.add(s);
      yield licenseUsageXml(from, to, query.groupBy, count, usage.result());
      break;
    }
  }
  yield reportTail(query.type);
}

/** A window with its open end closed at now. */
const resolved = (ctx: AppContext, w: Extract<SessionSelection, { kind: 'window' }>) => ({ from: w.from, to: w.to ?? ctx.clock.now().toISOString() });
