import type { ApiFlavor } from '../core/api-flavor.js';
import { readAhead } from '../core/read-ahead.js';
import { reportHead, reportTail, sessionSummaryXml, sessionXml, SUMMARY_FIELDS } from '../core/report-xml.js';
import type { ReportQuery } from '../core/report-query.js';
import type { SupportSession } from '../core/session.js';
import type { AppContext } from './context.js';
import { getSession, iterateSessionsAfterLseq, iterateSessionsByEnd, iterateSessionsByStart, type SessionReads } from './session-store.js';

/** Sessions a validated query selects, page by page (memory bounded by the page size). */
export async function* selectSessions<K extends keyof SupportSession = keyof SupportSession>(
  ctx: AppContext,
  applianceId: string,
  query: ReportQuery,
  { pageSize = 1000, fields }: SessionReads<K> = {},
): AsyncGenerator<Pick<SupportSession, K>[]> {
  const reads = { pageSize, fields };
  const sel = query.selection;
  switch (sel.kind) {
    case 'window':
      yield* sel.field === 'start'
        ? iterateSessionsByStart(ctx, applianceId, sel.from, sel.to, reads)
        : iterateSessionsByEnd(ctx, applianceId, sel.from, sel.to, reads);
      return;
    case 'lsids':
      for (let i = 0; i < sel.lsids.length; i += 100) {
        const found = await Promise.all(sel.lsids.slice(i, i + 100).map((lsid) => getSession(ctx, applianceId, lsid)));
        const page = found.filter((s): s is SupportSession => s !== undefined);
        if (page.length > 0) yield page;
      }
      return;
    case 'lseq': {
      let page: Pick<SupportSession, K>[] = [];
      for await (const s of iterateSessionsAfterLseq(ctx, applianceId, sel.from - 1, reads)) {
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

/** One XML chunk per page; the next page is read while this one is rendered and sent. */
async function* pagesXml<T>(pages: AsyncIterable<T[]>, render: (item: T) => string): AsyncGenerator<string> {
  for await (const page of readAhead(pages)) {
    let chunk = '';
    for (const item of page) chunk += render(item);
    yield chunk;
  }
}

/**
 * A report as XML text chunks: the root start tag, one chunk per page of sessions, the end tag.
 * Callers stream it (HTTP body) so a 100,000-session report never sits in memory.
 */
export async function* reportXmlChunks(ctx: AppContext, applianceId: string, flavor: ApiFlavor, query: ReportQuery): AsyncGenerator<string> {
  yield reportHead(query.type, flavor);
  yield* query.type === 'SupportSessionListing'
    ? pagesXml(selectSessions(ctx, applianceId, query, { fields: SUMMARY_FIELDS }), (s) => sessionSummaryXml(s, flavor))
    : pagesXml(selectSessions(ctx, applianceId, query), (s) => sessionXml(s, flavor));
  yield reportTail(query.type);
}
