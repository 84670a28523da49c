import type { ApiFlavor } from '../core/api-flavor.js';
import { renderReportItem, reportHead, reportTail } from '../core/report-xml.js';
import type { ReportQuery } from '../core/report-query.js';
import type { SupportSession } from '../core/session.js';
import type { AppContext } from './context.js';
import { getSession, iterateSessionsAfterLseq, iterateSessionsByEnd, iterateSessionsByStart } from './session-store.js';

/** Sessions a validated query selects, page by page (memory bounded by the page size). */
export async function* selectSessions(ctx: AppContext, applianceId: string, query: ReportQuery, pageSize = 1000): AsyncGenerator<SupportSession[]> {
  const sel = query.selection;
  switch (sel.kind) {
    case 'window':
      yield* sel.field === 'start'
        ? iterateSessionsByStart(ctx, applianceId, sel.from, sel.to, pageSize)
        : iterateSessionsByEnd(ctx, applianceId, sel.from, sel.to, pageSize);
      return;
    case 'lsids':
      for (let i = 0; i < sel.lsids.length; i += 100) {
        const found = await Promise.all(sel.lsids.slice(i, i + 100).map((lsid) => getSession(ctx, applianceId, lsid)));
        const page = found.filter((s): s is SupportSession => s !== undefined);
        if (page.length > 0) yield page;
      }
      return;
    case 'lseq': {
      let page: SupportSession[] = [];
      for await (const s of iterateSessionsAfterLseq(ctx, applianceId, sel.from - 1, pageSize)) {
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

/**
 * A report as XML text chunks: the root start tag, one chunk per page of sessions, the end tag.
 * Callers stream it (HTTP body) so a 100,000-session report never sits in memory.
 */
export async function* reportXmlChunks(ctx: AppContext, applianceId: string, flavor: ApiFlavor, query: ReportQuery): AsyncGenerator<string> {
  yield reportHead(query.type, flavor);
  for await (const page of selectSessions(ctx, applianceId, query)) {
    let chunk = '';
    for (const s of page) chunk += renderReportItem(query.type, s, flavor);
    yield chunk;
  }
  yield reportTail(query.type);
}
