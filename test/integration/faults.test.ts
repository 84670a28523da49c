import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applianceKey } from '../../functions/platform/app/keys.js';
import { listBackups } from '../../functions/emulator/app/backups.js';
import { FaultInjector } from '../../functions/local/faults.js';
import { eventually, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const faults = new FaultInjector();
let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime({ faults });
  await runtime.services.records.appliances.put({ ...applianceKey('f1'), productVersion: '10.5.2' });
});
afterAll(() => runtime?.dispose());

async function runBackup(name: string) {
  const { executionArn } = await runtime.services.workflows.start('take-backup', { applianceId: 'f1' }, name);
  return eventually(async () => {
    const d = await runtime.services.workflows.describe(executionArn);
    return d.status === 'RUNNING' ? undefined : d;
  });
}

describe('fault injection', () => {
  it('a transient task failure is retried by the ASL Retry and the run succeeds once', async () => {
    faults.clear();
    faults.add({ target: 'task:createBackup', kind: 'fail', errorName: 'InternalError', runId: 'transient', times: 1 });
    const done = await runBackup('transient');
    expect(done.status).toBe('SUCCEEDED');
    expect(faults.fired).toContainEqual({ target: 'task:createBackup', kind: 'fail', runId: 'transient', step: 'backup' });
    const mine = (await listBackups(runtime.services, 'f1')).filter((b) => b.backupId === (done.output as { backup: { backupId: string } }).backup.backupId);
    expect(mine).toHaveLength(1);
  });

  it('a non-retryable failure fails the execution with the injected error name', async () => {
    faults.clear();
    faults.add({ target: 'task:createBackup', kind: 'fail', runId: 'fatal' });
    const done = await runBackup('fatal');
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('InjectedFault');
  });

  it('an adapter failure (S3 put) surfaces as a task failure and leaves no backup record', async () => {
    faults.clear();
    const before = (await listBackups(runtime.services, 'f1')).length;
    faults.add({ target: 'backups.put', kind: 'fail', errorName: 'SlowDown' });
    const done = await runBackup('s3-down');
    expect(done.status).toBe('FAILED');
    // The task reaches the appliance over HTTP (site driver): the store's SlowDown stays inside the
    // appliance, which answers 503; after the driver's own retries the task fails with the appliance's error.
    expect(done.error).toBe('ApplianceError');
    faults.clear();
    expect(await listBackups(runtime.services, 'f1')).toHaveLength(before);
  });

  it('fires on the nth matching call only', async () => {
    const f = new FaultInjector().add({ target: 'appliances.*', kind: 'fail', nth: 2 });
    await f.apply('appliances.get');
    await expect(f.apply('appliances.put')).rejects.toThrow('injected fail at appliances.put');
    await f.apply('appliances.get');
    await f.apply('sessions.get');
    expect(f.fired).toHaveLength(1);
  });
});
