import { API_NAMESPACE, apiVersionFor, usesGuidLsid, usesXmlNamespace } from '../../platform/core/versions.js';

/** How an appliance of a given product version speaks its XML APIs. */
export interface ApiFlavor {
  productVersion: string;
  apiVersion: string;
  /** Default namespace of every XML response and XSD (API ≥ 1.5.0), undefined before. */
  namespace?: string;
  /** lsid is a 32-hex GUID plus an lseq element (≥ 10.6); before, a sequential integer and no lseq. */
  guidLsid: boolean;
}

// A fleet has a handful of versions and every API call asks: derive each flavor once (frozen, so sharing is safe).
const flavors = new Map<string, Readonly<ApiFlavor>>();

export function apiFlavor(productVersion: string): Readonly<ApiFlavor> {
  let flavor = flavors.get(productVersion);
  if (!flavor) {
    flavor = Object.freeze({
      productVersion,
      apiVersion: apiVersionFor(productVersion),
      namespace: usesXmlNamespace(productVersion) ? API_NAMESPACE : undefined,
      guidLsid: usesGuidLsid(productVersion),
    });
    if (flavors.size < 1000) flavors.set(productVersion, flavor);
  }
  return flavor;
}
