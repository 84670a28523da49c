/**
 * `npm run cli -- tokens bootstrap --stage prod`: the first admin token of a deployed stack, written
 * straight into its runs table with the caller's AWS credentials (nothing can call /v1/tokens before an
 * admin exists). The stack's `RunsTableName` output names the table. The token is printed once; only
 * its SHA-256 is stored. Refuses while an active admin token exists (then use /v1/tokens), unless --force.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../platform/adapters/config.js';
import { buildServices, type Services } from '../../platform/adapters/services.js';
import { issueOperatorToken, listOperatorTokens, TOKEN_AUDIT_ID } from '../app/operator-tokens.js';
import { appendAudit } from '../app/run-store.js';

export interface BootstrapIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  /** The stack's outputs (CloudFormation DescribeStacks); injectable for tests. */
  stackOutputs?: (stackName: string, region: string) => Promise<Record<string, string>>;
}

const USAGE = `usage: upgrade-cp tokens bootstrap --stage <stage> [--operator-id admin] [--display-name <name>]
                                   [--expires-in-hours 24] [--region <region>] [--table <runs table>] [--force]

Creates the first admin operator token of the deployed stack UpgradeControlPlane<Stage> with your AWS
credentials (dynamodb:PutItem and Query on its runs table, cloudformation:DescribeStacks).`;

const pascal = (s: string) => s.replace(/(^|-)([a-z0-9])/g, (_, _d: string, c: string) => c.toUpperCase());

async function cloudFormationOutputs(stackName: string, region: string): Promise<Record<string, string>> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient({ region });
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    return Object.fromEntries((out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } finally {
    client.destroy();
  }
}

export async function runTokensCommand(argv: string[], io: BootstrapIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stage: { type: 'string' },
        'operator-id': { type: 'string', default: 'admin' },
        'display-name': { type: 'string' },
        'expires-in-hours': { type: 'string', default: '24' },
        region: { type: 'string' },
        table: { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    io.err(`error: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    io.out(USAGE);
    return 0;
  }
  if (positionals[0] !== 'bootstrap') {
    io.err(`error: unknown tokens command "${positionals[0] ?? ''}" (tokens are administered at /v1/tokens; bootstrap creates the first admin)\n${USAGE}`);
    return 2;
  }
  if (!o.stage && !o.table) {
    io.err(`error: --stage is required\n${USAGE}`);
    return 2;
  }
  const hours = Number(o['expires-in-hours']);
  if (!(hours > 0)) {
    io.err('error: --expires-in-hours must be a positive number');
    return 2;
  }
  const region = o.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  if (!region) {
    io.err('error: no AWS region: pass --region or set AWS_REGION');
    return 2;
  }
  let services: Services | undefined;
  try {
    let outputs: Record<string, string> = {};
    let table = o.table;
    if (!table) {
      const stackName = `UpgradeControlPlane${pascal(o.stage!)}`;
      outputs = await (io.stackOutputs ?? cloudFormationOutputs)(stackName, region);
      table = outputs.RunsTableName;
      if (!table) throw new Error(`stack ${stackName} has no RunsTableName output (is it deployed in ${region}?)`);
    }
    services = buildServices(loadConfig({ ...io.env, AWS_REGION: region, RUNS_TABLE: table }), undefined, {});
    const admins = (await listOperatorTokens(services)).filter((t) => t.status === 'active' && t.roles.includes('admin'));
    if (admins.length > 0 && !o.force) {
      io.err(`error: an active admin token exists (${admins.map((t) => `${t.tokenId} of ${t.operatorId}`).join(', ')}); issue more at /v1/tokens, or pass --force`);
      return 1;
    }
    const issued = await issueOperatorToken(services, {
      operatorId: o['operator-id']!,
      displayName: o['display-name'] ?? o['operator-id']!,
      roles: ['admin'],
      ttlHours: hours,
      createdBy: 'bootstrap',
    });
    await appendAudit(services, { runId: TOKEN_AUDIT_ID, step: 'token.bootstrap', actor: 'bootstrap', outcome: 'succeeded', inputs: { tokenId: issued.tokenId, operatorId: issued.operator.operatorId }, detail: `${issued.tokenId} for ${issued.operator.operatorId} (admin) written with the caller's AWS credentials` });
    io.out(`admin token for ${issued.operator.operatorId} (shown once; only its hash is stored):`);
    io.out('');
    io.out(`  ${issued.token}`);
    io.out('');
    io.out(`token id ${issued.tokenId}, expires ${new Date(issued.expiresAt! * 1000).toISOString()}`);
    if (outputs.ConsoleUrl) io.out(`console: ${outputs.ConsoleUrl} (sign in with the token; create operator tokens at /v1/tokens)`);
    return 0;
  } catch (e) {
    io.err(`error: ${(e as Error).message}`);
    return 1;
  } finally {
    services?.destroy();
  }
}
