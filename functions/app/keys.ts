/** DynamoDB key conventions shared across areas (one place, so areas never collide). */
export const applianceKey = (applianceId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: 'PROFILE' });
export const backupKey = (applianceId: string, createdAt: string, backupId: string) => ({
  pk: `APPLIANCE#${applianceId}`,
  sk: `BACKUP#${createdAt}#${backupId}`,
});
export const BACKUP_SK_PREFIX = 'BACKUP#';
