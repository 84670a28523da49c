/**
 * `npm run seed -- --sessions 100000 [--appliance <id>] [--version 10.6.0] [--days 365]`
 * Generates support sessions into the local data directory (DATA_DIR, default .data). Stop `npm start` first:
 * the DynamoDB emulator's files are single-writer. Creates the appliance when it does not exist.
 */
import { parseArgs } from 'node:util';
import { startLocalRuntime } from '../runtime.js';
import { newAppliance } from '../../platform/core/appliance.js';
import { createAppliance, getAppliance } from '../../emulator/app/appliance-store.js';
import { generateSessions } from '../../emulator/app/session-generator.js';
import { isVersionString } from '../../platform/core/versions.js';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1000' },
    appliance: { type: 'string', default: 'demo-sessions' },
    version: { type: 'string', default: '10.6.0' },
    days: { type: 'string', default: '365' },
  },
});
const count = Number(values.sessions);
const days = Number(values.days);
if (!Number.isInteger(count) || count < 1 || count > 10_000_000) fail('--sessions must be an integer between 1 and 10000000');
if (!Number.isInteger(days) || days < 1 || days > 36_500) fail('--days must be an integer between 1 and 36500');
if (!isVersionString(values.version)) fail('--version must look like 10.6.0');
if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(values.appliance)) fail('--appliance must be letters, digits, ".", "_" or "-"');

const runtime = await startLocalRuntime({ dataDir: process.env.DATA_DIR || '.data', port: 0, seed: false }).catch((e: Error) => fail(e.message));
try {
  const ctx = runtime.services;
  let appliance = await getAppliance(ctx, values.appliance);
  if (!appliance) {
    const now = ctx.clock.now().toISOString();
    appliance = await createAppliance(ctx, newAppliance(values.appliance, now, { productVersion: values.version }));
  }
  const started = performance.now();
  const written = await generateSessions(ctx, appliance, { count, days, activeFraction: 0.001, seed: 7 });
  console.log(`seeded ${written} sessions on ${appliance.applianceId} (${appliance.productVersion}) in ${Math.round(performance.now() - started)} ms`);
} finally {
  await runtime.stop();
}

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}
