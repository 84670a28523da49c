/**
 * The primary hostname: a DNS record (hostname → appliance, with a TTL) kept in DynamoDB, optionally
 * mirrored to Route 53 through a {@link DnsPublisher}. Also the integration clients of a pair and the
 * readiness check telling whether each would follow a DNS swap (clients configured by IP do not).
 */
import { siteAvailable } from '../../platform/core/appliance.js';
import { isVersionString } from '../../platform/core/versions.js';
import { conflict, preconditionFailed, validationError } from '../../platform/core/errors.js';
import {
  evaluateIntegration,
  type DnsPublisher,
  type FailoverPair,
  type IntegrationClient,
  type IntegrationReadiness,
  type PrimaryHostnameRecord,
} from '../core/failover.js';
import { ConditionFailedError, type StoredItem, queryAll } from '../../platform/core/ports.js';
import { getAppliance, listAppliances, requireAppliance } from './appliance-store.js';
import type { AppContext } from '../../platform/app/context.js';
import { getPair, requirePair } from './failover-pair-store.js';
import { DNS_RECORDS_INDEX, dnsRecordKey, failoverPairKey, INTEGRATION_SK_PREFIX, integrationClientKey } from '../../platform/app/keys.js';

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
export const DEFAULT_TTL_SECONDS = 60;

export function normalizeHostname(hostname: unknown): string {
  const h = typeof hostname === 'string' ? hostname.trim().toLowerCase().replace(/\.$/, '') : '';
  if (!HOSTNAME.test(h)) throw validationError('InvalidHostname', `"${String(hostname)}" is not a DNS hostname (e.g. support.example.com)`);
  return h;
}

function fromItem(item: StoredItem): PrimaryHostnameRecord {
  const { pk: _p, sk: _s, gsi1pk: _g, gsi1sk: _gs, type: _t, ...rest } = item;
  return rest as unknown as PrimaryHostnameRecord;
}

export async function getPrimaryHostname(ctx: AppContext, hostname: string): Promise<PrimaryHostnameRecord | undefined> {
  const item = await ctx.records.appliances.get(dnsRecordKey(normalizeHostname(hostname)));
  return item ? fromItem(item) : undefined;
}

export async function listPrimaryHostnames(ctx: AppContext): Promise<PrimaryHostnameRecord[]> {
  return (await queryAll(ctx.records.appliances, { index: 'gsi1', pk: DNS_RECORDS_INDEX })).map(fromItem);
}

/**
 * Points `hostname` at `applianceId` (the "DNS or network change" of the upgrade guide's option 2).
 * Refuses to point it at the backup of a live pair. Idempotent: the same target changes nothing
 * (the publisher is still called, so a retry repairs a missed Route 53 update).
 */
export async function switchPrimaryHostname(
  ctx: AppContext,
  hostname: string,
  applianceId: string,
  options: { ttlSeconds?: number; publisher?: DnsPublisher } = {},
): Promise<{ record: PrimaryHostnameRecord; changed: boolean }> {
  const name = normalizeHostname(hostname);
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 86_400) throw validationError('InvalidTtl', 'ttlSeconds must be an integer from 0 to 86400');
  const appliance = await requireAppliance(ctx, applianceId);
  const pair = appliance.failover.pairId ? await getPair(ctx, appliance.failover.pairId) : undefined;
  if (pair && pair.status !== 'broken' && pair.backupId === applianceId) {
    throw preconditionFailed(
      'NotPrimary',
      `appliance ${applianceId} is the backup of live failover pair ${pair.pairId}; promote it (set role primary) before pointing ${name} at it`,
      { pairId: pair.pairId, applianceId },
    );
  }
  if (!siteAvailable(appliance)) {
    // Production would follow the name to a site that cannot serve it (installing or restarting).
    throw preconditionFailed('ApplianceNotServing', `appliance ${applianceId} is ${appliance.state}; point ${name} at an appliance that is online`, { applianceId, state: appliance.state });
  }
  const current = await ctx.records.appliances.get(dnsRecordKey(name));
  const existing = current ? fromItem(current) : undefined;
  let record: PrimaryHostnameRecord;
  let changed = false;
  if (existing && existing.applianceId === applianceId && existing.ipAddress === appliance.ipAddress && existing.ttlSeconds === ttl) {
    record = existing;
  } else {
    record = { hostname: name, applianceId, ipAddress: appliance.ipAddress, ttlSeconds: ttl, updatedAt: ctx.clock.now().toISOString(), version: (existing?.version ?? 0) + 1 };
    try {
      await ctx.records.appliances.put({ ...dnsRecordKey(name), gsi1pk: DNS_RECORDS_INDEX, gsi1sk: name, type: 'dns-record', ...record }, { expectVersion: existing?.version ?? 0 });
    } catch (e) {
      if (e instanceof ConditionFailedError) throw conflict('ConcurrentModification', `the record for ${name} changed concurrently; retry`);
      throw e;
    }
    changed = true;
  }
  await options.publisher?.publish(record);
  return { record, changed };
}

const INTEGRATION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Registers (or replaces) how an integration client of the pair reaches the primary. */
export async function putIntegrationClient(ctx: AppContext, pairId: string, input: Omit<IntegrationClient, 'pairId'>): Promise<IntegrationClient> {
  await requirePair(ctx, pairId);
  if (!INTEGRATION_ID.test(input.integrationId)) throw validationError('InvalidIntegrationId', 'integrationId must be 1-64 letters, digits, ".", "_" or "-"');
  const target =
    input.target.kind === 'hostname'
      ? { kind: 'hostname' as const, hostname: normalizeHostname(input.target.hostname) }
      : IPV4.test(input.target.ipAddress)
        ? { kind: 'ip' as const, ipAddress: input.target.ipAddress }
        : (() => {
            throw validationError('InvalidIpAddress', `"${input.target.kind === 'ip' ? input.target.ipAddress : ''}" is not an IPv4 address`);
          })();
  if (input.version !== undefined && !isVersionString(input.version)) throw validationError('InvalidVersion', `"${input.version}" is not a version such as 10.6.0`);
  const client: IntegrationClient = { integrationId: input.integrationId, name: input.name, pairId, target, ...(input.version !== undefined ? { version: input.version } : {}) };
  // `version` is the stores' optimistic counter, so the IC's software version is stored as `icVersion`.
  const { version: icVersion, ...stored } = client;
  await ctx.records.appliances.put({ ...integrationClientKey(pairId, input.integrationId), type: 'integration-client', ...stored, ...(icVersion !== undefined ? { icVersion } : {}) });
  return client;
}

export async function listIntegrationClients(ctx: AppContext, pairId: string): Promise<IntegrationClient[]> {
  const items = await queryAll(ctx.records.appliances, { pk: failoverPairKey(pairId).pk, sk: { beginsWith: INTEGRATION_SK_PREFIX } });
  return items.map(({ pk: _p, sk: _s, type: _t, icVersion, version: _v, ...rest }) => ({ ...rest, ...(icVersion !== undefined ? { version: String(icVersion) } : {}) }) as unknown as IntegrationClient);
}

/** The appliance `hostname` resolves to today (undefined without a record). */
export async function resolveHostname(ctx: AppContext, hostname: string): Promise<string | undefined> {
  return (await getPrimaryHostname(ctx, hostname))?.applianceId;
}

/** The primary hostname of a pair: the one in the primary's license. */
export async function primaryHostnameOf(ctx: AppContext, pair: FailoverPair): Promise<string | undefined> {
  return (await getAppliance(ctx, pair.primaryId))?.license.primaryHostname;
}

/**
 * Would each integration client of the pair follow a DNS swap of the primary hostname to
 * `targetPrimaryId`? Default target: the pair's primary if the hostname does not resolve to it yet,
 * otherwise the backup (the next swap).
 */
export async function integrationReadiness(
  ctx: AppContext,
  pairId: string,
  options: { targetPrimaryId?: string } = {},
): Promise<{ pairId: string; targetPrimaryId: string; ready: boolean; integrations: IntegrationReadiness[] }> {
  const pair = await requirePair(ctx, pairId);
  const hostname = await primaryHostnameOf(ctx, pair);
  const resolvesTo = hostname ? await resolveHostname(ctx, hostname) : undefined;
  const targetId = options.targetPrimaryId ?? (resolvesTo === pair.primaryId ? pair.backupId : pair.primaryId);
  if (targetId !== pair.primaryId && targetId !== pair.backupId) {
    throw preconditionFailed('NotAPairMember', `appliance ${targetId} is not a member of failover pair ${pairId}`, { pairId, applianceId: targetId });
  }
  const target = await requireAppliance(ctx, targetId);
  const appliances = await listAppliances(ctx);
  const clients = await listIntegrationClients(ctx, pairId);
  const records = new Map<string, string | undefined>();
  for (const c of clients) if (c.target.kind === 'hostname' && !records.has(c.target.hostname)) records.set(c.target.hostname, await resolveHostname(ctx, c.target.hostname));
  const integrations = clients.map((c) =>
    evaluateIntegration(c, target, (h) => records.get(h), (ip) => appliances.find((a) => a.ipAddress === ip)?.applianceId),
  );
  return { pairId, targetPrimaryId: targetId, ready: integrations.every((i) => i.ready), integrations };
}
