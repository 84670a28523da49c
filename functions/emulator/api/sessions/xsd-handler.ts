import { apiFlavor } from '../../core/api-flavor.js';
import { commandXsd, reportingXsd } from '../../core/xsd.js';
import type { RouteHandler } from '../../../platform/api/http.js';
import { siteAppliance } from './api-request.js';

/** The schemas are public, like on the appliance, and follow its API version (namespace or not). */
const xsdHandler =
  (render: typeof reportingXsd): RouteHandler =>
  async (c) => {
    const appliance = await siteAppliance(c);
    return c.body(render(apiFlavor(appliance.productVersion)), 200, { 'content-type': 'text/xml; charset=UTF-8' });
  };

export const reportingXsdHandler = xsdHandler(reportingXsd);
export const commandXsdHandler = xsdHandler(commandXsd);
