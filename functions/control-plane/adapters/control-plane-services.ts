/**
 * The control plane's adapters for the platform's Services (functions/platform/adapters/services.ts):
 * the ports only the control plane uses, declared here and merged into Services, wired from the
 * environment. Its Lambda entries (api/entries/, tasks/, scheduler/) and the local runtime pass
 * `controlPlaneAdapters`.
 */
import type { SystemAdapters } from '../../platform/adapters/services.js';
import { lazyPort } from '../../platform/adapters/lazy.js';
import type { ApplianceDrivers } from '../../platform/core/appliance-driver.js';
import { DomainError } from '../../platform/core/errors.js';
import type { RemoteScheduler } from '../app/scheduler.js';
import type { TrafficControl } from '../app/run-traffic.js';
import { SecretsManagerDriverCredentials } from './driver-credentials.js';
import { INVENTORY_CREDENTIAL, siteDrivers } from './site-driver.js';

declare module '../../platform/adapters/services.js' {
  interface Services {
    /**
     * EventBridge Scheduler for maintenance windows when `SCHEDULER_TARGET_ARN` and `SCHEDULER_ROLE_ARN`
     * are set (the CDK stack sets them); locally absent: the runtime's scheduler loop fires the records.
     */
    windowScheduler?: RemoteScheduler;
    /** Local runtime only: the live traffic generator (issue 14, docs/traffic.md). */
    traffic?: TrafficControl;
  }
}

export const controlPlaneAdapters: SystemAdapters = ({ config }, env) => {
  const targetArn = env.SCHEDULER_TARGET_ARN?.trim();
  const roleArn = env.SCHEDULER_ROLE_ARN?.trim();
  const windowScheduler =
    targetArn && roleArn
      ? lazyPort<RemoteScheduler>(async () => (await import('./eventbridge-scheduler.js')).eventBridgeWindowScheduler(config.region, { targetArn, roleArn, groupName: env.SCHEDULER_GROUP?.trim() || undefined }), {})
      : undefined;
  // On AWS the control plane reaches the appliances' sites at APPLIANCE_BASE_URL with credentials from
  // Secrets Manager (docs/driver.md); the local runtime sets its own drivers.
  const applianceBaseUrl = env.APPLIANCE_BASE_URL?.trim().replace(/\/+$/, '');
  const credentials = applianceBaseUrl ? new SecretsManagerDriverCredentials(config.region, env.DRIVER_CREDENTIALS_PREFIX?.trim() || 'upgrade-cp/appliances/') : undefined;
  const drivers: ApplianceDrivers | undefined = credentials
    ? siteDrivers({
        baseUrl: () => applianceBaseUrl!,
        transport: (request) => fetch(request),
        credentials,
        // The inventory token an operator stored beside the appliances' credentials (docs/driver.md).
        inventoryToken: async () => {
          const stored = await credentials.get(INVENTORY_CREDENTIAL);
          if (!stored) throw new DomainError('precondition', 'InventoryNotConfigured', `no inventory token: store a viewer operator token of the fleet API as the driver credential ${INVENTORY_CREDENTIAL} (docs/driver.md)`);
          return stored.password;
        },
      })
    : undefined;
  return { windowScheduler, drivers };
};
