/**
 * Local enrolment of an emulated appliance with the control plane: the emulator's seed side creates (or
 * renews) the site admin user `upgrade-driver` with a fresh random password and the control plane keeps
 * the credential in its own store. On AWS an operator does this once per appliance (docs/driver.md).
 * This module is part of the composition root (it knows both systems); the control plane never imports it.
 */
import { randomBytes } from 'node:crypto';
import type { DriverCredentials, SiteCredential } from '../adapters/site-driver.js';
import { DRIVER_USERNAME } from '../app/appliance-drivers.js';
import type { AppContext } from '../app/context.js';
import { createSiteUser, getSiteUser, updateSiteUser } from '../app/site-users.js';

const permissions = { administrator: true, commandApi: true, reportingApi: true, backupApi: true, provideRemoteSupport: false };

export function emulatorEnrolment(emulator: AppContext, credentials: DriverCredentials) {
  return async (applianceId: string): Promise<SiteCredential> => {
    const credential = { username: DRIVER_USERNAME, password: randomBytes(18).toString('base64url') };
    if (await getSiteUser(emulator, applianceId, DRIVER_USERNAME)) {
      await updateSiteUser(emulator, applianceId, DRIVER_USERNAME, { password: credential.password, permissions, disabled: false });
    } else {
      await createSiteUser(emulator, applianceId, { username: DRIVER_USERNAME, password: credential.password, privateDisplayName: 'Upgrade control plane', permissions, disabled: false, showOnRepList: false });
    }
    await credentials.put(applianceId, credential);
    return credential;
  };
}
