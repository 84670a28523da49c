/**
 * Local enrolment of an emulated appliance with the control plane: the emulator's seed side creates (or
 * renews) the site admin user `upgrade-driver` with a fresh random password and the control plane keeps
 * the credential in its own store. On AWS an operator does this once per appliance (docs/driver.md).
 * This module is part of the composition root (it knows both systems); the control plane never imports it.
 */
import { randomBytes } from 'node:crypto';
import { INVENTORY_CREDENTIAL, type DriverCredentials, type SiteCredential } from '../control-plane/adapters/site-driver.js';
import { DRIVER_USERNAME } from '../control-plane/app/appliance-drivers.js';
import type { AppContext } from '../platform/app/context.js';
import { createSiteUser, getSiteUser, updateSiteUser } from '../emulator/app/site-users.js';
import { issueOperatorToken } from '../control-plane/app/operator-tokens.js';

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


/**
 * Local inventory token: a viewer operator token of the emulator's fleet API, issued once and kept with
 * the driver credentials (on AWS an operator stores one as the secret `<prefix>/appliances/_inventory`).
 */
export function emulatorInventoryToken(emulator: AppContext, credentials: DriverCredentials) {
  let pending: Promise<string> | undefined;
  const issue = async (renew: boolean) => {
    const stored = renew ? undefined : await credentials.get(INVENTORY_CREDENTIAL);
    if (stored) return stored.password;
    const { token } = await issueOperatorToken(emulator, { operatorId: DRIVER_USERNAME, displayName: 'Upgrade control plane (fleet inventory)', roles: ['viewer'], createdBy: 'local-runtime' });
    await credentials.put(INVENTORY_CREDENTIAL, { username: DRIVER_USERNAME, password: token });
    return token;
  };
  return (renew = false): Promise<string> => {
    if (renew) pending = undefined;
    return (pending ??= issue(renew).catch((e: unknown) => {
      pending = undefined;
      throw e;
    }));
  };
}
