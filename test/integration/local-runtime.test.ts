import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand, ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applianceKey } from '../../functions/platform/app/keys.js';
import { listBackups } from '../../functions/emulator/app/backups.js';
import { startTestRuntime, eventually, type TestRuntime } from '../helpers/runtime.js';

let runtime: TestRuntime;
let sfn: SFNClient;
beforeAll(async () => {
  runtime = await startTestRuntime();
  sfn = new SFNClient({ region: 'us-east-1', endpoint: runtime.endpoints.sfn, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(async () => {
  sfn?.destroy();
  await runtime?.dispose();
});

const arn = (name: string) => runtime.services.workflows.stateMachineArn(name);
const finished = (executionArn: string) =>
  eventually(async () => {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return d.status === 'RUNNING' ? undefined : d;
  });

describe('local runtime', () => {
  it('reports every component healthy on GET /health', async () => {
    const res = await fetch(`${runtime.url}/health`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.status).toBe('ok');
    for (const c of ['dynamodb', 's3', 'stepfunctions']) {
      expect(body.components[c].status).toBe('ok');
      expect(typeof body.components[c].latencyMs).toBe('number');
    }
  });

  it('answers unknown routes with problem+json 404', async () => {
    const res = await fetch(`${runtime.url}/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 404, code: 'RouteNotFound' });
  });

  it('lists the state machines from statemachines/*.asl.json', async () => {
    const out = await sfn.send(new ListStateMachinesCommand({}));
    expect(out.stateMachines?.map((m) => m.name)).toContain('take-backup');
  });
});

describe('take-backup workflow through @aws-sdk/client-sfn', () => {
  it('writes the backup to S3 and its metadata to DynamoDB', async () => {
    await runtime.services.records.appliances.put({ ...applianceKey('appl-1'), productVersion: '10.5.2', hostname: 'a.example.com' });
    const start = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn('take-backup'), name: 'backup-run-1', input: JSON.stringify({ applianceId: 'appl-1' }) }));
    const done = await finished(start.executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    const output = JSON.parse(done.output!);
    expect(output.backup).toMatchObject({ applianceId: 'appl-1', productVersion: '10.5.2' });
    const object = await runtime.services.blobs.backups.get(output.backup.objectKey);
    expect(object?.info.metadata.sha256).toBe(output.backup.sha256);
    const backups = await listBackups(runtime.services, 'appl-1');
    expect(backups.map((b) => b.backupId)).toContain(output.backup.backupId);

    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: start.executionArn! }));
    const types = history.events?.map((e) => e.type);
    expect(types?.[0]).toBe('ExecutionStarted');
    expect(types).toContain('TaskStateEntered');
    expect(types?.at(-1)).toBe('ExecutionSucceeded');
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn('take-backup') }));
    expect(listed.executions?.map((e) => e.name)).toContain('backup-run-1');
  });

  it('is idempotent per execution name: a retried StartExecution does not take a second backup', async () => {
    await runtime.services.records.appliances.put({ ...applianceKey('appl-2'), productVersion: '11.1.1' });
    const input = JSON.stringify({ applianceId: 'appl-2' });
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn('take-backup'), name: 'idem-1', input }));
    await finished(first.executionArn!);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn('take-backup'), name: 'idem-1', input })),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    expect(await listBackups(runtime.services, 'appl-2')).toHaveLength(1);
  });

  it('fails with the domain error name when the appliance does not exist', async () => {
    const start = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn('take-backup'), input: JSON.stringify({ applianceId: 'ghost' }) }));
    const done = await finished(start.executionArn!);
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('ApplianceNotFound');
  });

  it('refuses bad requests with Step Functions error types', async () => {
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: arn('missing'), input: '{}' }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: arn('take-backup'), input: '{not json' }))).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: `${arn('take-backup')}:nope` }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });

  it('StopExecution aborts and records ABORTED', async () => {
    // A long Wait keeps the execution running; register a throwaway machine for it.
    runtime.stepFunctions.register({ name: 'long-wait', text: JSON.stringify({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600000, End: true } } }) });
    const start = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn('long-wait'), input: '{}' }));
    await sfn.send(new StopExecutionCommand({ executionArn: start.executionArn!, cause: 'operator cancelled' }));
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: start.executionArn! }));
    expect(d.status).toBe('ABORTED');
    expect(d.cause).toBe('operator cancelled');
  });

  it('accepts the execution names Step Functions accepts (dots, unicode) and refuses the ones it refuses', async () => {
    runtime.stepFunctions.register({ name: 'pass-through', text: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }) });
    const ok = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn('pass-through'), name: 'fleet.2025-q1-staging-1-w1-a1', input: '{}' }));
    expect((await finished(ok.executionArn!)).status).toBe('SUCCEEDED');
    for (const name of ['has space', 'a/b', 'x#y', 'x'.repeat(81)]) {
      await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: arn('pass-through'), name, input: '{}' })), name).rejects.toMatchObject({ name: 'InvalidName' });
    }
  });

  it('an execution whose history cannot be recorded fails (States.Runtime) instead of crashing the process or staying RUNNING', async () => {
    // A state output over the store's 400 KB item limit: the history write is refused.
    const big = 'x'.repeat(500_000);
    runtime.stepFunctions.register({ name: 'oversized', text: JSON.stringify({ StartAt: 'Big', States: { Big: { Type: 'Pass', Result: { big }, Next: 'W' }, W: { Type: 'Wait', Seconds: 1, End: true } } }) });
    const start = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn('oversized'), input: '{}' }));
    const done = await finished(start.executionArn!);
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('States.Runtime');
    expect(done.cause).toMatch(/history could not be recorded/);
  });
});
