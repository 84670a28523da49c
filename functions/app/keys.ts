/** DynamoDB key conventions shared across areas (one place, so areas never collide). */
export const applianceKey = (applianceId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: 'PROFILE' });
export const backupKey = (applianceId: string, createdAt: string, backupId: string) => ({
  pk: `APPLIANCE#${applianceId}`,
  sk: `BACKUP#${createdAt}#${backupId}`,
});
export const BACKUP_SK_PREFIX = 'BACKUP#';
/** Control area: the package catalog as the control API reads it (replaceable by the appliance area's store). */
export const catalogPackageKey = (packageId: string) => ({ pk: `PACKAGE#${packageId}`, sk: 'CATALOG' });
/** Control area (runs table): operator tokens by SHA-256 of the token, idempotency records, window schedules, campaigns. */
export const operatorTokenKey = (tokenSha256: string) => ({ pk: `OPERATOR-TOKEN#${tokenSha256}`, sk: 'TOKEN' });
export const idempotencyKey = (scope: string, key: string) => ({ pk: `IDEMPOTENCY#${scope}#${key}`, sk: 'IDEMPOTENCY' });
export const windowScheduleKey = (scheduleId: string) => ({ pk: `SCHEDULE#${scheduleId}`, sk: 'SCHEDULE' });
export const campaignKey = (campaignId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: 'CAMPAIGN' });
