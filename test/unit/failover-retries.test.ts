/**
 * Failover retries and live sessions: each case was a reproduced defect (a retried step or API call after a
 * partial failure, a customer session live during window 2).
 */
import { expect, it } from 'vitest';
import { requireAppliance, updateAppliance } from '../../functions/emulator/app/appliance-store.js';
import { breakPair, establishPair, forceSync, pairStatus, setFailoverRole } from '../../functions/emulator/app/failover-pairs.js';
import { readAllSessions } from '../../functions/emulator/app/failover-sync.js';
import { exportIntegrationClient } from '../../functions/emulator/app/ic-export.js';
import { resolveHostname, switchPrimaryHostname } from '../../functions/emulator/app/primary-hostname.js';
import { endActiveSessions, getSession, putSession } from '../../functions/emulator/app/session-store.js';
import { reestablishFailover, resyncPair } from '../../functions/control-plane/app/upgrade-steps.js';
import { sessionIdentity } from '../../functions/emulator/core/failover.js';
import { brokenAfterSync, pairOf, record, setup } from '../helpers/failover-fixture.js';
import { newRun } from '../helpers/workflow-fixture.js';

it('a retried reestablishFailover still re-imports the exported sessions', async () => {
  const { ctx, clock } = await brokenAfterSync('10.5.2', { hostname: true });
  const lost = [await record(ctx, clock, 'b'), await record(ctx, clock, 'b')]; // b serves while a installs
  await record(ctx, clock, 'a');
  const run = await newRun(ctx, 'option1', 'a', 'b', 20_000, 'whatever', '10.5.2');
  // A failure in the re-import (reads 2-5 of the export object; 1st is establish's guard) that outlasts
  // the site driver's own retries (1 + 3 attempts), so the step fails and Step Functions retries it.
  const exportsStore = ctx.blobs.exports;
  const get = exportsStore.get.bind(exportsStore);
  let calls = 0;
  exportsStore.get = async (k: string) => { if (++calls >= 2 && calls <= 5) throw new Error('S3 503 SlowDown'); return get(k); };
  const input = { runId: run.runId, window: 2 as const, step: 'reestablish-pair' };
  await expect(reestablishFailover(ctx, input)).rejects.toMatchObject({ code: 'ApplianceError', message: expect.stringMatching(/reimport on a answered 503 InternalError/) });
  const out = await reestablishFailover(ctx, input); // the Step Functions retry
  expect(out).toMatchObject({ exported: 0, reimported: 2 }); // nothing new at risk, the pending export re-imported
  await resyncPair(ctx, { ...input, step: 'resync-pair' });
  for (const id of ['a', 'b']) {
    const held = new Set((await readAllSessions(ctx, id)).map(sessionIdentity));
    for (const s of lost) expect(held.has(sessionIdentity(s)), `${sessionIdentity(s)} on ${id}`).toBe(true);
  }
});

it('a single transient failure of the re-import is absorbed by the site driver\'s retry (the step succeeds first time)', async () => {
  const { ctx, clock } = await brokenAfterSync('10.5.2', { hostname: true });
  await record(ctx, clock, 'b');
  const run = await newRun(ctx, 'option1', 'a', 'b', 20_000, 'whatever', '10.5.2');
  const exportsStore = ctx.blobs.exports;
  const get = exportsStore.get.bind(exportsStore);
  let calls = 0;
  exportsStore.get = async (k: string) => { if (++calls === 2) throw new Error('S3 503 SlowDown'); return get(k); };
  const out = await reestablishFailover(ctx, { runId: run.runId, window: 2, step: 'reestablish-pair' });
  expect(out).toMatchObject({ exported: 1, reimported: 1 });
  expect(calls).toBeGreaterThan(2); // the failed read was retried over the wire
});

it('resyncPair succeeds while a customer session is live on the primary', async () => {
  const { ctx, clock } = await brokenAfterSync('10.6.1', { hostname: true });
  await establishPair(ctx, { primaryId: 'a', backupId: 'b' });
  await record(ctx, clock, 'a', 'active');                  // production keeps serving
  const run = await newRun(ctx, 'option1', 'a', 'b', 20_000, 'x', '10.6.1');
  const step = resyncPair(ctx, { runId: run.runId, window: 2, step: 'resync-pair' });
  await expect(step).resolves.toBeDefined();
  expect(await pairStatus(ctx, 'a', { byAppliance: true })).toMatchObject({ inSync: true, behind: 0 });
});

it('a retried establish leaves both appliance records established', async () => {
  const { ctx, clock } = await setup('10.6.1');
  await breakPair(ctx, 'a');
  await record(ctx, clock, 'a');
  const store = ctx.records.appliances;
  const put = store.put.bind(store);
  let armed = false;
  store.put = async (item, opts) => {
    if (item.sk === 'PAIR' && item.status === 'established') armed = true;
    else if (armed && item.failover) { armed = false; throw new Error('Lambda timeout'); }
    return put(item, opts);
  };
  await expect(establishPair(ctx, { primaryId: 'a', backupId: 'b' })).rejects.toThrow('Lambda timeout');
  const r = await establishPair(ctx, { primaryId: 'a', backupId: 'b' });
  const [a, b] = [await requireAppliance(ctx, 'a'), await requireAppliance(ctx, 'b')];
  expect([a.failover.pairStatus, b.failover.pairStatus]).toEqual(['established', 'established']);
});

it('a retried role change leaves the appliance records consistent with the pair record', async () => {
  const { ctx, clock } = await setup('10.5.2');
  await record(ctx, clock, 'a');
  await forceSync(ctx, 'b');
  await breakPair(ctx, 'a');                                   // option 2: choose b as the primary-to-be
  const store = ctx.records.appliances;
  const put = store.put.bind(store);
  let armed = false;
  store.put = async (item, opts) => {
    if (item.sk === 'PAIR' && item.primaryId === 'b') armed = true;          // the swapped pair record is written
    else if (armed && item.failover) { armed = false; throw new Error('Lambda timeout'); } // first member update
    return put(item, opts);
  };
  await expect(setFailoverRole(ctx, 'b', 'primary')).rejects.toThrow('Lambda timeout');
  const retry = await setFailoverRole(ctx, 'b', 'primary');
  const pair = await pairOf(ctx);
  const [a, b] = [await requireAppliance(ctx, 'a'), await requireAppliance(ctx, 'b')];
  expect(b.failover.role).toBe('primary');
  expect(a.failover.role).toBe('backup');
});

it('refuses to point the primary hostname at an appliance that cannot serve (installing), changing nothing', async () => {
  const { ctx } = await setup('10.6.1');
  await switchPrimaryHostname(ctx, 'support.example.com', 'a');
  await breakPair(ctx, 'a');
  await updateAppliance(ctx, 'b', (x) => ({ ...x, state: 'installing' as const }));
  await expect(switchPrimaryHostname(ctx, 'support.example.com', 'b')).rejects.toMatchObject({ code: 'ApplianceNotServing' });
  expect(await resolveHostname(ctx, 'support.example.com')).toBe('a');
});

it('≥10.6 role swap: the recording appliance\'s final form of a session beats the replica the other side ended', async () => {
  const { ctx, clock } = await setup('10.6.1');
  const s = await record(ctx, clock, 'a', 'active');
  await forceSync(ctx, 'b'); // copied to b while still live
  await breakPair(ctx, 'a');
  await endActiveSessions(ctx, 'b', 'terminated-by-upgrade'); // b's install (option 2, window 1) ends its replica
  clock.advance(3_600_000);
  const done = { ...s, status: 'completed' as const, endTime: clock.now().toISOString(), duration: 3660, endReason: 'completed' as const };
  await putSession(ctx, done); // the real session completes on a, its recorder
  const r = await establishPair(ctx, { primaryId: 'b', backupId: 'a' }); // window 2: b primary, merge
  expect(r.mode).toBe('merge');
  for (const id of ['b', 'a']) expect(await getSession(ctx, id, s.lsid), id).toMatchObject({ status: 'completed', endReason: 'completed', endTime: done.endTime });
});

it('≥10.6 merge gives the merged sessions fresh lseqs, so an incremental Integration Client export sees them', async () => {
  const { ctx, clock } = await brokenAfterSync('10.6.1');
  for (let i = 0; i < 3; i++) await record(ctx, clock, 'a');
  const bOnly = [await record(ctx, clock, 'b'), await record(ctx, clock, 'b')]; // same lseqs as a's, independently
  await exportIntegrationClient(ctx, 'a', {}); // the IC pulls from a during the break: watermark at a's newest
  await establishPair(ctx, { primaryId: 'a', backupId: 'b' }); // merge
  const incremental = await exportIntegrationClient(ctx, 'a', { incremental: true });
  const sql = await ctx.blobs.exports.get(incremental.objects.sql);
  let text = '';
  for await (const chunk of sql!.body) text += Buffer.from(chunk).toString();
  for (const s of bOnly) expect(text, s.lsid).toContain(s.lsid);
});

it('pre-10.6 broken pair: behind counts the primary sessions the backup lacks, not its own same-numbered ones', async () => {
  const { ctx, clock } = await brokenAfterSync('10.5.2');
  const onA = await record(ctx, clock, 'a', 'active');
  const onB = await record(ctx, clock, 'b', 'active'); // a different session under the same integer lsid
  expect(onA.lsid).toBe(onB.lsid);
  expect((await pairStatus(ctx, 'a', { byAppliance: true })).behind).toBe(1);
});
