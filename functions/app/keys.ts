/** DynamoDB key conventions shared across areas (one place, so areas never collide). */
export const applianceKey = (applianceId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: 'PROFILE' });
export const backupKey = (applianceId: string, createdAt: string, backupId: string) => ({
  pk: `APPLIANCE#${applianceId}`,
  sk: `BACKUP#${createdAt}#${backupId}`,
});
export const BACKUP_SK_PREFIX = 'BACKUP#';

/** Package registry (appliances table): one manifest record per package id; payloads live in the packages bucket. */
export const packageKey = (packageId: string) => ({ pk: `PACKAGE#${packageId}`, sk: 'MANIFEST' });
export const PACKAGES_INDEX_PK = 'PACKAGES';
/** Install history of an appliance (one record per install, idempotent per request key). */
export const installKey = (applianceId: string, installId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: `INSTALL#${installId}` });
export const INSTALL_SK_PREFIX = 'INSTALL#';
/** Staff consoles registered on an appliance. */
export const consoleKey = (applianceId: string, consoleId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: `CONSOLE#${consoleId}` });
export const CONSOLE_SK_PREFIX = 'CONSOLE#';
