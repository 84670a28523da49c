import { loadConfig } from '../../functions/platform/adapters/config.js';
import { MemoryBlobStore } from '../../functions/platform/adapters/memory-blob-store.js';
import { MemoryRecordStore } from '../../functions/platform/adapters/memory-record-store.js';
import type { AppContext } from '../../functions/platform/app/context.js';
import { MemoryDriverCredentials } from '../../functions/control-plane/adapters/driver-credentials.js';
import type { Services } from '../../functions/platform/adapters/services.js';
import { siteDrivers } from '../../functions/control-plane/adapters/site-driver.js';
import { createApp } from '../../functions/platform/api/app.js';
import { routes } from '../../functions/local/routes.js';
import { emulatorEnrolment, emulatorInventoryToken } from '../../functions/local/driver-enrolment.js';
import type { Clock, WorkflowEngine } from '../../functions/platform/core/ports.js';

/** A manually advanced clock for deterministic tests. */
export class FakeClock implements Clock {
  constructor(private current = new Date('2026-11-01T00:00:00Z')) {}
  now() {
    return new Date(this.current);
  }
  advance(ms: number) {
    this.current = new Date(this.current.getTime() + ms);
  }
  set(date: Date) {
    this.current = new Date(date);
  }
}

const noWorkflows: WorkflowEngine = {
  stateMachineArn: (w) => `arn:aws:states:us-east-1:000000000000:stateMachine:${w}`,
  start: async () => {
    throw new Error('no workflow engine in the memory context');
  },
  describe: async () => {
    throw new Error('no workflow engine in the memory context');
  },
  list: async () => [],
  stop: async () => undefined,
};

/** In-memory AppContext: the application layer without any AWS or emulator. */
export function memoryContext(options: { clock?: Clock; env?: Record<string, string> } = {}): AppContext {
  const ctx: AppContext = {
    config: loadConfig({ TIME_SCALE_MS_PER_MINUTE: '1', ...options.env }),
    clock: options.clock ?? new FakeClock(),
    records: { appliances: new MemoryRecordStore('appliances'), sessions: new MemoryRecordStore('sessions'), runs: new MemoryRecordStore('runs') },
    blobs: { packages: new MemoryBlobStore('packages'), backups: new MemoryBlobStore('backups'), exports: new MemoryBlobStore('exports') },
    workflows: noWorkflows,
  };
  // The site driver against the app in process: the same HTTP requests, without a listener.
  const credentials = new MemoryDriverCredentials();
  let app: ReturnType<typeof createApp> | undefined;
  ctx.drivers = siteDrivers({
    baseUrl: () => 'http://control.test',
    transport: async (request) => (app ??= createApp(ctx as Services, routes)).fetch(request),
    credentials,
    enrol: emulatorEnrolment(ctx, credentials),
    inventoryToken: emulatorInventoryToken(ctx, credentials),
    backoffMs: 1,
  });
  return ctx;
}
