/** Support sessions as recorded by an appliance (reporting API, Integration Client export, failover sync). */

export type SessionEndReason =
  | 'completed'
  | 'terminated-by-upgrade'
  | 'terminated-by-api'
  | 'terminated-by-failover';

export interface SupportSession {
  applianceId: string;
  /**
   * Session id. Product ≥ 10.6: 32 lowercase hex characters (GUID). Before 10.6: a sequential
   * integer, kept here as its decimal string.
   */
  lsid: string;
  /** ≥ 10.6 only: incrementing number, not guaranteed unique or strictly sequential. */
  lseq?: number;
  sessionType: 'support';
  status: 'active' | 'completed';
  /** ISO 8601. */
  startTime: string;
  endTime?: string;
  /** Seconds. */
  duration?: number;
  fileTransfers: number;
  hostName: string;
  externalKey: string;
  publicSiteId: number;
  publicSiteName: string;
  customerName: string;
  representativeName: string;
  endReason?: SessionEndReason;
  /** Which appliance first recorded it (survives failover merges). */
  recordedBy: string;
  /** Set when the session was migrated across 10.6: its old integer lsid. */
  legacyLsid?: number;
  /**
   * Set when a pre-10.6 session was re-imported into the other side of a failover pair under a new lsid
   * (legacy lsids collide across a broken pair): the lsid its recording appliance gave it.
   */
  sourceLsid?: string;
}

export const isGuidLsid = (lsid: string) => /^[0-9a-f]{32}$/.test(lsid);
export const isLegacyLsid = (lsid: string) => /^[1-9][0-9]{0,15}$/.test(lsid);

/**
 * Upgrading across 10.6 converts a legacy integer lsid to a GUID the way the product does it for us:
 * a stable 32-hex id derived from appliance + old lsid (so a retried migration maps identically),
 * and lseq = the old integer (keeps the original order). `hash` is injected to keep core free of I/O modules.
 */
export function migrateLegacySession(s: SupportSession, hash: (text: string) => string): SupportSession {
  if (!isLegacyLsid(s.lsid)) return s;
  const guid = hash(`lsid:${s.recordedBy}:${s.lsid}`).slice(0, 32);
  return { ...s, lsid: guid, lseq: Number(s.lsid), legacyLsid: Number(s.lsid) } as SupportSession;
}
