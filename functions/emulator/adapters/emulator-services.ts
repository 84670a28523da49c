/**
 * The emulator's adapters for the platform's Services (functions/platform/adapters/services.ts): the
 * ports only the emulator uses, declared here and merged into Services, wired from the environment. Its
 * Lambda entries (functions/emulator/api/entries/) and the local runtime pass `emulatorAdapters`.
 */
import type { SystemAdapters } from '../../platform/adapters/services.js';
import { ROUTE53_ZONE_ENV } from '../../platform/adapters/config.js';
import { lazyPort } from '../../platform/adapters/lazy.js';
import type { DnsPublisher } from '../core/failover.js';

declare module '../../platform/adapters/services.js' {
  interface Services {
    /** Mirrors primary-hostname records to Route 53 when `ROUTE53_HOSTED_ZONE_ID` is set. */
    dns?: DnsPublisher;
  }
}

export const emulatorAdapters: SystemAdapters = ({ config }, env) => {
  const zone = env[ROUTE53_ZONE_ENV]?.trim();
  return {
    dns: zone
      ? lazyPort<DnsPublisher>(async () => (await import('./route53-dns.js')).route53Publisher(config.region, zone), { name: 'route53' } as Partial<DnsPublisher>)
      : undefined,
  };
};
