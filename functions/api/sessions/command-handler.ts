import { runCommand } from '../../app/command.js';
import type { RouteHandler } from '../http.js';
import { apiCaller, readParams } from './api-request.js';
import { XML_CONTENT_TYPE } from './xml-response.js';

/** GET/POST /appliances/:applianceId/api/command?action=... */
export const commandHandler: RouteHandler = async (c) => {
  const { appliance, account } = await apiCaller(c);
  const params = await readParams(c);
  const xml = await runCommand({ ctx: c.get('services'), appliance, account, params });
  return c.body(xml, 200, { 'content-type': XML_CONTENT_TYPE, 'cache-control': 'no-store' });
};
