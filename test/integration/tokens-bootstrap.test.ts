/**
 * `npm run cli -- tokens bootstrap`: the first admin token written straight into the stack's runs table
 * (here: the local DynamoDB emulator standing in for the deployed table; the stack outputs are injected).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTokensCommand } from '../../functions/control-plane/cli/tokens-bootstrap.js';
import { noteSecret } from '../helpers/log-capture.js';
import { rawFetch, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(() => rt?.dispose());

function io(outputs: Record<string, string>) {
  const lines = { out: [] as string[], err: [] as string[], stacks: [] as string[] };
  return {
    lines,
    io: {
      out: (l: string) => lines.out.push(l),
      err: (l: string) => lines.err.push(l),
      env: { DYNAMODB_ENDPOINT: rt.endpoints.dynamodb, AWS_REGION: 'us-east-1' },
      stackOutputs: async (name: string) => (lines.stacks.push(name), outputs),
    },
  };
}

describe('tokens bootstrap', () => {
  it('creates the first admin token in the stack table (found by its output), prints it once, then refuses a second bootstrap', async () => {
    const first = io({ RunsTableName: rt.config.tables.runs, ConsoleUrl: 'https://example.execute-api.us-east-1.amazonaws.com/' });
    expect(await runTokensCommand(['bootstrap', '--stage', 'prod', '--operator-id', 'first-admin'], first.io)).toBe(0);
    expect(first.lines.stacks).toEqual(['UpgradeControlPlaneProd']);
    const token = first.lines.out.map((l) => l.trim()).find((l) => l.startsWith('ucp_'))!;
    noteSecret(token);
    expect(first.lines.out.join('\n')).toContain('console: https://example.execute-api.us-east-1.amazonaws.com/');

    const me = await rawFetch(`${rt.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect((await me.json()).operator).toEqual({ operatorId: 'first-admin', displayName: 'first-admin', roles: ['admin'] });
    const tokens = await rawFetch(`${rt.url}/v1/tokens`, { headers: { authorization: `Bearer ${token}` } });
    const body = await tokens.json();
    expect(body.audit.map((a: { step: string }) => a.step)).toContain('token.bootstrap');

    const second = io({ RunsTableName: rt.config.tables.runs });
    expect(await runTokensCommand(['bootstrap', '--stage', 'prod'], second.io)).toBe(1);
    expect(second.lines.err.join('\n')).toMatch(/an active admin token exists/);
    expect(second.lines.out).toEqual([]);
  });

  it('fails clearly without a stage, with an unknown stack output, or with bad options', async () => {
    expect(await runTokensCommand(['bootstrap'], io({}).io)).toBe(2);
    const missing = io({});
    expect(await runTokensCommand(['bootstrap', '--stage', 'nope'], missing.io)).toBe(1);
    expect(missing.lines.err.join('\n')).toContain('UpgradeControlPlaneNope has no RunsTableName output');
    expect(await runTokensCommand(['bootstrap', '--stage', 'prod', '--expires-in-hours', '-1'], io({}).io)).toBe(2);
    expect(await runTokensCommand(['rotate'], io({}).io)).toBe(2);
  });
});
