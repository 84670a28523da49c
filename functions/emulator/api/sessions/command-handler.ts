import { runCommand } from '../../app/command.js';
import type { RouteHandler } from '../../../platform/api/http.js';
import { apiCaller, siteAppliance } from './api-request.js';
import { noteVendorErrors, XML_CONTENT_TYPE } from './xml-response.js';

/**
 * GET/POST /appliances/:applianceId/api/command?action=... Every refusal from here on is the appliance's:
 * `<error>` inside the action's root (or as the root for an unknown action or a `<success>` action).
 */
export const commandHandler: RouteHandler = async (c) => {
  const appliance = await siteAppliance(c);
  noteVendorErrors(c, undefined);
  const { principal, params } = await apiCaller(c, appliance);
  const xml = await runCommand({ ctx: c.get('services'), appliance, principal, params });
  return c.body(xml, 200, { 'content-type': XML_CONTENT_TYPE, 'cache-control': 'no-store' });
};
