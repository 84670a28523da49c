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
