import { apiFlavor } from '../../core/api-flavor.js';
import { requirePermission } from '../../core/api-access.js';
import { parseReportQuery } from '../../core/report-query.js';
import { reportXmlChunks } from '../../app/reporting.js';
import type { RouteHandler } from '../../../platform/api/http.js';
import { apiCaller, readParams } from './api-request.js';
import { streamOf, XML_CONTENT_TYPE } from './xml-response.js';

/** GET/POST /appliances/:applianceId/api/reporting: validated first, then streamed page by page. */
export const reportingHandler: RouteHandler = async (c) => {
  const { appliance, account } = await apiCaller(c);
  const params = await readParams(c);
  requirePermission(account.permissions, 'reporting');
  const flavor = apiFlavor(appliance.productVersion);
  const query = parseReportQuery(params, flavor);
  return c.body(streamOf(reportXmlChunks(c.get('services'), appliance, flavor, query)), 200, {
    'content-type': XML_CONTENT_TYPE,
    'cache-control': 'no-store',
  });
};
