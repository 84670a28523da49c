/** Support sessions as recorded by an appliance (reporting API, Integration Client export, failover sync). */

export type SessionEndReason =
  | 'completed'
  | 'terminated-by-upgrade'
  | 'terminated-by-api'
  | 'terminated-by-failover';

/**
 * Who took part in a session, as the reporting API's `customer_list` / `rep_list` show it. `gsnumber` numbers
 * the participants within one session (the system itself is gsnumber 0, "Bomgar").
 */
export interface SessionCustomer {
  gsnumber: number;
  /** The customer the session was started for (`<primary_cust>1</primary_cust>`). */
  primary: boolean;
  username: string;
  /** The customer's answers on the front-end survey / session key form (`<info>`). */
  info: { name?: string; company?: string; companyCode?: string; issue?: string; details?: string };
  hostname: string;
  os?: string;
  privateIp?: string;
  publicIp?: string;
}

export interface SessionRepresentative {
  gsnumber: number;
  /** The site user's id (`<representative id>`, `get_logged_in_reps` rep id). */
  id: number;
  username: string;
  displayName: string;
  /** The representative who owned the session (`<primary_rep>1</primary_rep>`). */
  primary: boolean;
  /** Seconds this representative took part (joins and leaves summed). */
  secondsInvolved: number;
  /** Set while the representative is in an active session (join_session / leave_session). */
  joinedAt?: string;
  hostname?: string;
  os?: string;
  privateIp?: string;
  publicIp?: string;
}

/** An actor or target of a session event (`performed_by` / `destination`). */
export interface SessionActor {
  type: 'system' | 'representative' | 'customer';
  gsnumber: number;
  name: string;
}

/** The system actor of every session (gsnumber 0, named after the product, as client code sees it). */
export const SYSTEM_ACTOR: SessionActor = { type: 'system', gsnumber: 0, name: 'Bomgar' };

/** One `session_details/event`: chat, file transfer, system information, notes, joins, leaves, ... */
export interface SessionEvent {
  timestamp: string;
  /** The vendor's event type text, e.g. `Chat Message`, `File Transferred`, `System Information Retrieved`. */
  eventType: string;
  performedBy?: SessionActor;
  destination?: SessionActor;
  body?: string;
  data?: { name: string; value: string }[];
}

/** A submitted exit survey (customer or representative). */
export interface ExitSurvey {
  gsnumber: number;
  submittedAt: string;
  answers: { questionId: number; name: string; label: string; type: string; answer: string; reportHeader?: string }[];
}

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
   * The richer record the reporting API shows. Optional so that sessions stored before these fields
   * existed still render (from customerName/representativeName/hostName).
   */
  customers?: SessionCustomer[];
  representatives?: SessionRepresentative[];
  events?: SessionEvent[];
  customerSurveys?: ExitSurvey[];
  representativeSurveys?: ExitSurvey[];
  /** `session.custom.*` attributes (get_/set_session_attributes, generate_session_key), by code name. */
  customAttributes?: Record<string, string>;
  /** Queue the session waits in or was routed through: `general`, `rep:<id>`, `team:<id>`. */
  queue?: string;
  /** The support team the session was routed to (`team:<id>` queue), and its name when it was routed. */
  teamId?: number;
  teamName?: string;
  /**
   * Set when a pre-10.6 session was re-imported into the other side of a failover pair under a new lsid
   * (legacy lsids collide across a broken pair): the lsid its recording appliance gave it.
   */
  sourceLsid?: string;
  /** A live session (issue 14): sha256 of the customer client's secret, so only that client can end it. */
  customerTokenHash?: string;
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
