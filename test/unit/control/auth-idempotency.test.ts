import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CreateScheduleCommand, DeleteScheduleCommand, ConflictException } from '@aws-sdk/client-scheduler';
import { EventBridgeWindowScheduler } from '../../../functions/control-plane/adapters/eventbridge-scheduler.js';
import { withIdempotency } from '../../../functions/platform/app/idempotency.js';
import { issueOperatorToken, revokeOperatorToken } from '../../../functions/control-plane/app/operator-tokens.js';
import { authenticateToken, requireRole } from '../../../functions/platform/app/operator-identity.js';
import { operatorTokenKey } from '../../../functions/platform/app/keys.js';
import { FakeClock, memoryContext } from '../../helpers/memory-context.js';

describe('operator tokens', () => {
  it('stores only the hash, resolves the operator, and refuses unknown, revoked and expired tokens', async () => {
    const clock = new FakeClock();
    const ctx = memoryContext({ clock });
    const { token } = await issueOperatorToken(ctx, { operatorId: 'amy', displayName: 'Amy', roles: ['approver'], ttlHours: 1 });
    expect(token).toMatch(/^ucp_/);
    const stored = await ctx.records.runs.get(operatorTokenKey(createHash('sha256').update(token).digest('hex')));
    expect(stored?.operatorId).toBe('amy');
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(await authenticateToken(ctx, token)).toEqual({ operatorId: 'amy', displayName: 'Amy', roles: ['approver'] });
    await expect(authenticateToken(ctx, 'ucp_nope')).rejects.toMatchObject({ kind: 'unauthorized' });
    await expect(authenticateToken(ctx, undefined)).rejects.toMatchObject({ kind: 'unauthorized' });
    clock.advance(3_600_000);
    await expect(authenticateToken(ctx, token)).rejects.toMatchObject({ kind: 'unauthorized' });
    const second = await issueOperatorToken(ctx, { operatorId: 'olivia', displayName: 'O', roles: ['operator'] });
    await revokeOperatorToken(ctx, second.token);
    await expect(authenticateToken(ctx, second.token)).rejects.toMatchObject({ kind: 'unauthorized' });
    await expect(issueOperatorToken(ctx, { operatorId: 'x', displayName: 'x', roles: ['root' as never] })).rejects.toMatchObject({ code: 'InvalidRoles' });
  });

  it('checks roles: viewer is implied, operator and approver are separate grants', () => {
    const amy = { operatorId: 'amy', displayName: 'A', roles: ['approver' as const] };
    expect(() => requireRole(amy, 'viewer')).not.toThrow();
    expect(() => requireRole(amy, 'approver')).not.toThrow();
    expect(() => requireRole(amy, 'operator')).toThrow(expect.objectContaining({ code: 'RoleRequired', kind: 'forbidden' }));
  });
});

describe('withIdempotency', () => {
  const opts = { scope: 'olivia', key: 'k1', fingerprint: 'f1', ttlSeconds: 60 };

  it('runs once and replays the stored response; a different request with the key is refused', async () => {
    const ctx = memoryContext();
    let calls = 0;
    const work = async () => ({ status: 201, body: { n: ++calls } });
    expect(await withIdempotency(ctx, opts, work)).toEqual({ status: 201, body: { n: 1 }, replayed: false });
    expect(await withIdempotency(ctx, opts, work)).toEqual({ status: 201, body: { n: 1 }, replayed: true });
    await expect(withIdempotency(ctx, { ...opts, fingerprint: 'f2' }, work)).rejects.toMatchObject({ code: 'IdempotencyKeyReused' });
    expect(calls).toBe(1);
  });

  it('does not store failures, so a corrected retry runs; expired records are reused', async () => {
    const clock = new FakeClock();
    const ctx = memoryContext({ clock });
    await expect(withIdempotency(ctx, opts, async () => { throw new Error('refused'); })).rejects.toThrow('refused');
    expect((await withIdempotency(ctx, opts, async () => ({ status: 200, body: 'a' }))).replayed).toBe(false);
    clock.advance(61_000);
    expect(await withIdempotency(ctx, { ...opts, fingerprint: 'other' }, async () => ({ status: 200, body: 'b' }))).toMatchObject({ body: 'b', replayed: false });
  });

  it('a concurrent duplicate waits for the first and gets its answer; past the wait it is a 409; bad keys are refused', async () => {
    const ctx = memoryContext();
    let release!: () => void;
    let calls = 0;
    const first = withIdempotency(ctx, opts, () => new Promise((r) => (release = () => r({ status: 200, body: ++calls }))));
    await new Promise((r) => setTimeout(r, 5));
    const duplicates = Array.from({ length: 5 }, () => withIdempotency(ctx, opts, async () => ({ status: 200, body: ++calls })));
    await expect(withIdempotency(ctx, { ...opts, waitMs: 30 }, async () => ({ status: 200, body: ++calls }))).rejects.toMatchObject({ code: 'IdempotentRequestInProgress' });
    release();
    expect((await first).body).toBe(1);
    for (const d of await Promise.all(duplicates)) expect(d).toEqual({ status: 200, body: 1, replayed: true });
    expect(calls).toBe(1);
    await expect(withIdempotency(ctx, { ...opts, key: 'has space' }, async () => ({ status: 200, body: 1 }))).rejects.toMatchObject({ code: 'InvalidIdempotencyKey' });
  });
});

describe('EventBridgeWindowScheduler', () => {
  it('creates a one-time UTC at() schedule that deletes itself, and treats an existing one as done', async () => {
    const sent: unknown[] = [];
    let conflict = false;
    const client = {
      send: async (cmd: unknown) => {
        sent.push(cmd);
        if (conflict) throw new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} });
        return {};
      },
    };
    const s = new EventBridgeWindowScheduler(client as never, { targetArn: 'arn:aws:lambda:fn', roleArn: 'arn:aws:iam::role/s', groupName: 'upgrades' });
    await s.create({ name: 'upgrade-cp-r1-w1', at: '2026-12-01T16:00:00.000Z', payload: { scheduleId: 'r1-w1' } });
    const cmd = sent[0] as CreateScheduleCommand;
    expect(cmd).toBeInstanceOf(CreateScheduleCommand);
    expect(cmd.input).toMatchObject({
      Name: 'upgrade-cp-r1-w1',
      GroupName: 'upgrades',
      ScheduleExpression: 'at(2026-12-01T16:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: 'arn:aws:lambda:fn', RoleArn: 'arn:aws:iam::role/s', Input: '{"scheduleId":"r1-w1"}' },
    });
    conflict = true;
    await expect(s.create({ name: 'upgrade-cp-r1-w1', at: '2026-12-01T16:00:00.000Z', payload: { scheduleId: 'r1-w1' } })).resolves.toBeUndefined();
    conflict = false;
    await s.delete('upgrade-cp-r1-w1');
    expect(sent.at(-1)).toBeInstanceOf(DeleteScheduleCommand);
  });
});
