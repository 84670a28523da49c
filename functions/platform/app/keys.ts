/** DynamoDB key conventions shared across areas (one place, so areas never collide). */
export const applianceKey = (applianceId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: 'PROFILE' });
export const backupKey = (applianceId: string, createdAt: string, backupId: string) => ({
  pk: `APPLIANCE#${applianceId}`,
  sk: `BACKUP#${createdAt}#${backupId}`,
});
export const BACKUP_SK_PREFIX = 'BACKUP#';

/** Failover area: pair record, its session exports, primary-hostname DNS records, integration clients. */
export const FAILOVER_PAIRS_INDEX = 'FAILOVER-PAIRS';
export const failoverPairKey = (pairId: string) => ({ pk: `PAIR#${pairId}`, sk: 'PAIR' });
export const sessionExportKey = (pairId: string, exportId: string) => ({ pk: `PAIR#${pairId}`, sk: `EXPORT#${exportId}` });
export const SESSION_EXPORT_SK_PREFIX = 'EXPORT#';
export const integrationClientKey = (pairId: string, integrationId: string) => ({ pk: `PAIR#${pairId}`, sk: `INTEGRATION#${integrationId}` });
export const INTEGRATION_SK_PREFIX = 'INTEGRATION#';
export const dnsRecordKey = (hostname: string) => ({ pk: `DNS#${hostname}`, sk: 'RECORD' });
export const DNS_RECORDS_INDEX = 'DNS-RECORDS';
/** Package registry (appliances table): one manifest record per package id; payloads live in the packages bucket. */
export const packageKey = (packageId: string) => ({ pk: `PACKAGE#${packageId}`, sk: 'MANIFEST' });
export const PACKAGES_INDEX_PK = 'PACKAGES';
/** Install history of an appliance (one record per install, idempotent per request key). */
export const installKey = (applianceId: string, installId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: `INSTALL#${installId}` });
export const INSTALL_SK_PREFIX = 'INSTALL#';
/** Staff consoles registered on an appliance. */
export const consoleKey = (applianceId: string, consoleId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: `CONSOLE#${consoleId}` });
export const CONSOLE_SK_PREFIX = 'CONSOLE#';
/** Control area (runs table): operator tokens by SHA-256 of the token, idempotency records, window schedules, campaigns. */
export const operatorTokenKey = (tokenSha256: string) => ({ pk: `OPERATOR-TOKEN#${tokenSha256}`, sk: 'TOKEN' });
export const idempotencyKey = (scope: string, key: string) => ({ pk: `IDEMPOTENCY#${scope}#${key}`, sk: 'IDEMPOTENCY' });
export const windowScheduleKey = (scheduleId: string) => ({ pk: `SCHEDULE#${scheduleId}`, sk: 'SCHEDULE' });
export const campaignKey = (campaignId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: 'CAMPAIGN' });
/** People in a site (sites area): users (by lowercased username), support teams, and their id counters. */
export const siteUserKey = (applianceId: string, username: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: `SITE-USER#${username.toLowerCase()}` });
export const SITE_USER_SK_PREFIX = 'SITE-USER#';
export const supportTeamKey = (applianceId: string, teamId: number) => ({ pk: `APPLIANCE#${applianceId}`, sk: `TEAM#${String(teamId).padStart(9, '0')}` });
export const SUPPORT_TEAM_SK_PREFIX = 'TEAM#';
export const siteCounterKey = (applianceId: string, what: 'users' | 'teams') => ({ pk: `APPLIANCE#${applianceId}`, sk: `SITE-COUNTER#${what}` });
/** Session keys (generate_session_key), by their short code; `expiresAt` is the TTL attribute. */
export const sessionKeyKey = (applianceId: string, shortKey: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: `SESSION-KEY#${shortKey}` });
