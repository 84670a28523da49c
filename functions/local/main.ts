import { startLocalRuntime } from './runtime.js';
import { DEMO_SESSIONS_PER_HOUR } from '../traffic/traffic-model.js';
import { checkLogLevel } from '../platform/observability/logger.js';

const badLevel = checkLogLevel(process.env.LOG_LEVEL);
const format = process.env.LOG_FORMAT?.trim().toLowerCase();
if (badLevel || (format && format !== 'json' && format !== 'pretty')) {
  console.error(`error: ${badLevel ?? `LOG_FORMAT must be json or pretty, got "${process.env.LOG_FORMAT}"`}`);
  process.exit(2);
}

const port = (name: string, fallback?: number) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`error: ${name} must be a port number (0-65535), got "${raw}"`);
    process.exit(2);
  }
  return n;
};

const flag = (name: string, fallback: boolean) => {
  const raw = (process.env[name] ?? '').trim().toLowerCase();
  if (raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  console.error(`error: ${name} must be true or false, got "${process.env[name]}"`);
  process.exit(2);
};

try {
  const runtime = await startLocalRuntime({
    dataDir: process.env.DATA_DIR || '.data',
    port: port('PORT', 3000),
    host: process.env.HOST || '127.0.0.1',
    dynamodbPort: port('DYNAMODB_PORT'),
    s3Port: port('S3_PORT'),
    sfnPort: port('SFN_PORT'),
    seed: process.env.SEED_DEMO !== 'false',
    // Locally a modelled minute of appliance work lasts 100 ms unless configured (a 60-minute install: 6 s).
    // The demo runs live support traffic at a low rate (TRAFFIC_SESSIONS_PER_HOUR=0 turns it off; docs/traffic.md).
    env: { TIME_SCALE_MS_PER_MINUTE: process.env.TIME_SCALE_MS_PER_MINUTE || '100', TRAFFIC_SESSIONS_PER_HOUR: process.env.TRAFFIC_SESSIONS_PER_HOUR || String(DEMO_SESSIONS_PER_HOUR) },
    sites: flag('SITE_LISTENERS', true) ? { basePort: port('SITE_BASE_PORT'), plainHttp: flag('SITE_PLAIN_HTTP', true) } : undefined,
  });
  console.log(`control plane ready at ${runtime.url} (health: ${runtime.url}/health) in ${runtime.startupMs} ms`);
  const traffic = runtime.traffic.status();
  console.log(`  live traffic: ${traffic.running ? `${traffic.settings.sessionsPerHour} sessions per modelled hour per site on ${traffic.sites.join(', ') || 'no site yet'}` : 'off'} (PUT /v1/traffic to change)`);
  console.log(`  dynamodb ${runtime.endpoints.dynamodb}  s3 ${runtime.endpoints.s3}  stepfunctions ${runtime.endpoints.sfn}`);
  if (runtime.sites) {
    const table = runtime.sites.table();
    const width = Math.max(8, ...table.map((t) => t.hostname.length));
    console.log(`appliance sites (each also answers plain http:// on its port unless SITE_PLAIN_HTTP=false):`);
    for (const t of table) console.log(`  ${t.hostname.padEnd(width)} → ${t.url}  (${t.via === 'primary-hostname' ? `DNS → ${t.applianceId}` : t.applianceId})`);
    console.log(`  CA certificate${runtime.sites.certificates.caCreated ? ' (created now)' : ''}: ${runtime.sites.caFile}`);
    console.log(`  e.g. curl --cacert ${runtime.sites.caFile} ${table[0]?.url ?? 'https://127.0.0.1:PORT'}/check_health`);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    await runtime.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
