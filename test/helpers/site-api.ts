import { rawFetch } from './runtime.js';

/**
 * A client of one appliance site's XML APIs, as an outside integration would be: everything goes through
 * HTTP to `base` (today `<runtime>/appliances/<id>`; the site root once sites are addressed by host or port).
 */
export interface SiteResponse {
  status: number;
  headers: Headers;
  text: string;
}

export function siteApi(base: string, headers: () => Record<string, string> = () => ({})) {
  const call = async (path: string, init: RequestInit = {}): Promise<SiteResponse> => {
    const res = await rawFetch(`${base}${path}`, { ...init, headers: { ...headers(), ...(init.headers as Record<string, string> | undefined) } });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  return {
    call,
    /** GET /api/reporting with the parameters in the query string. */
    report: (params: Record<string, string>) => call(`/api/reporting?${new URLSearchParams(params)}`),
    /** POST /api/reporting with the parameters as a url-encoded form body. */
    reportByForm: (params: Record<string, string>) =>
      call('/api/reporting', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() }),
    xsd: async (kind: 'reporting' | 'command') => (await call(`/api/${kind}.xsd`)).text,
  };
}

/** Lines that start an element, as `grep -c '<name '` (or `<name>`) counts them. */
export const grepCount = (xml: string, name: string) => xml.split('\n').filter((l) => l.includes(`<${name} `) || l.includes(`<${name}>`) || l.includes(`<${name}/>`)).length;
