import '../../functions/local/polyfill.js';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { AccessLedger, describeDenial, type Observation, type UnusedStatement } from './access-ledger.js';
import { AwsEndpoint, type Caller } from './aws-endpoint.js';
import type { CloudAssembly } from './cloud-assembly.js';
import { buildDeployment, type Deployment } from './deployment.js';
import { AWAITED_READERS, checkEnvironment, lambdaRuntimeVariables, RUNNER_OVERRIDES, runnerVariables, type EnvironmentReport } from './environment-check.js';
import { AssemblyError } from './errors.js';
import { FunctionUrlFront, HttpApiFront, type AccessLogEntry } from './http-front.js';
import { LambdaService, type EnvUsage, type InvokeOutcome } from './lambda-service.js';
import { Route53StandIn, SchedulerStandIn, SecretsManagerStandIn, type StoredSchedule } from './service-stand-ins.js';
import type { StackEnvironment } from './template.js';
import { registerStateMachines } from './workflow-runner.js';
import { ensureTable } from '../../functions/platform/adapters/bootstrap.js';
import { DynamoRecordStore } from '../../functions/platform/adapters/dynamo-record-store.js';
import { buildServices, type Services } from '../../functions/platform/adapters/services.js';
import { loadConfig } from '../../functions/platform/adapters/config.js';
import { startEmulators, type Emulators } from '../../functions/local/emulators.js';
import { LocalStepFunctions } from '../../functions/local/local-step-functions.js';
import { createSfnServer } from '../../functions/local/sfn-server.js';

// As in the local runtime: the SDK warns on every start that future releases need Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const REPO_NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));
/** What the Node.js Lambda runtime provides besides the bundle: the AWS SDK v3. */
const RUNTIME_PROVIDED_PACKAGES = ['@aws-sdk', '@smithy'];

export interface AssemblyRuntimeOptions {
  assembly: CloudAssembly;
  /** Real milliseconds per modelled minute of appliance work (the one runner override of the environment). */
  msPerModelledMinute?: number;
  /** Keep the data directory after stop (the CLI's --keep). */
  keepData?: boolean;
}

export interface ScheduleFiring {
  schedule: string;
  at: Date;
  outcome: InvokeOutcome | { ok: false; errorType: string; errorMessage: string };
}

/** What one runtime saw: calls and their decisions, variables read, problems. */
export interface Observed {
  observations: Observation[];
  envUsage: ReadonlyMap<string, EnvUsage>;
  endpointProblems: string[];
  asyncFailures: string[];
  runtimeDefined: ReadonlySet<string>;
}

export interface AssemblyReport {
  denials: string[];
  /** Calls the runner could not attribute or serve (unsigned, unknown credentials, unemulated service). */
  endpointProblems: string[];
  environment: EnvironmentReport;
  unusedStatements: UnusedStatement[];
  unusedActions: { owner: string; statement: string; actions: string[] }[];
  /** Invocations that failed outside a request (scheduled invocations). */
  asyncFailures: string[];
  /** Everything that makes the run fail, one line each. */
  failures: string[];
  warnings: string[];
}

/**
 * A modelled minute of appliance work lasts 20 ms: a 33-minute install takes 0.7 s, and a 24-hour window
 * (the longest the API accepts) 29 s, enough for a window's steps on a loaded 2-core machine.
 */
export const DEFAULT_MS_PER_MODELLED_MINUTE = 20;

/** The account and region the stack is "deployed" to (the local Step Functions interpreter's account). */
export const STACK_ENVIRONMENT: Omit<StackEnvironment, 'stackName'> = { account: '000000000000', region: 'us-east-1', partition: 'aws', urlSuffix: 'amazonaws.com' };

async function reservePort(): Promise<{ server: Server; url: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * The synthesized cloud assembly, running locally: the emulators hold the template's tables and buckets,
 * each function runs its bundled asset in its own sandbox, the HTTP API and Function URLs front them,
 * the state machines run the template's definitions, and EventBridge Scheduler fires the schedules.
 * Every AWS call is checked against the calling function's role; every variable read is recorded.
 */
export class AssemblyRuntime {
  readonly ledger: AccessLedger;
  readonly accessLog: AccessLogEntry[] = [];
  readonly firings: ScheduleFiring[] = [];
  readonly scheduler: SchedulerStandIn;
  readonly route53: Route53StandIn;
  readonly secretsManager: SecretsManagerStandIn;
  lambda!: LambdaService;
  endpoint!: AwsEndpoint;
  stepFunctions!: LocalStepFunctions;
  /** Services over the emulators with the template's names, for seeding and inspecting (never on the function path). */
  inspect!: Services;
  private readonly cleanup: (() => Promise<void> | void)[] = [];
  private readonly credentials = new Map<string, { accessKeyId: string; secretAccessKey: string; sessionToken: string }>();
  private schedulerTimer?: NodeJS.Timeout;

  private constructor(
    readonly deployment: Deployment,
    readonly dataDir: string,
    private readonly options: AssemblyRuntimeOptions,
  ) {
    this.ledger = new AccessLedger(deployment);
    const { region, account, partition } = deployment.env;
    this.scheduler = new SchedulerStandIn(`arn:${partition}:scheduler:${region}:${account}`, new Set(deployment.scheduleGroups));
    // The hosted zones the template grants rights on are the zones that exist.
    const zones = new Set(deployment.roles.flatMap((r) => r.statements.flatMap((s) => [s.statement.Resource ?? []].flat().map(String))).flatMap((arn) => /:route53:::hostedzone\/([^/*]+)$/.exec(arn)?.[1] ?? []));
    this.route53 = new Route53StandIn([...zones]);
    this.secretsManager = new SecretsManagerStandIn(deployment.secrets);
  }

  /** Base URL of the control API, from the stack output that names it. */
  get apiUrl(): string {
    return this.deployment.outputs.ApiUrl ?? Object.values(this.deployment.outputs).find((v) => v.startsWith('http://'))!;
  }

  /** Base URL of the emulated appliances' API (their sites by Host, admin routes), from its stack output. */
  get sitesUrl(): string {
    return this.deployment.outputs.SitesApiUrl ?? this.apiUrl;
  }

  static async start(options: AssemblyRuntimeOptions): Promise<AssemblyRuntime> {
    const { assembly } = options;
    const dataDir = mkdtempSync(join(tmpdir(), 'assembly-run-'));
    // Ports first: the template's URLs (API endpoint, Function URLs) resolve to them.
    const apiServers = new Map<string, { server: Server; url: string }>();
    const urlServers = new Map<string, { server: Server; url: string }>();
    for (const [id, r] of Object.entries(assembly.template.Resources)) {
      if (r.Type === 'AWS::ApiGatewayV2::Api') apiServers.set(id, await reservePort());
      if (r.Type === 'AWS::Lambda::Url') urlServers.set(id, await reservePort());
    }
    const deployment = buildDeployment(assembly, { stackName: assembly.stackName, ...STACK_ENVIRONMENT }, (id, type, attribute) => {
      if (type === 'AWS::ApiGatewayV2::Api' && attribute === 'ApiEndpoint') return apiServers.get(id)?.url;
      if (type === 'AWS::Lambda::Url' && attribute === 'FunctionUrl') return `${urlServers.get(id)?.url}/`;
      return undefined;
    });
    const rt = new AssemblyRuntime(deployment, dataDir, options);
    try {
      await rt.boot(apiServers, urlServers);
      return rt;
    } catch (e) {
      await rt.stop();
      for (const { server } of [...apiServers.values(), ...urlServers.values()]) server.close();
      throw e;
    }
  }

  private async boot(apiServers: Map<string, { server: Server; url: string }>, urlServers: Map<string, { server: Server; url: string }>) {
    const { deployment, dataDir } = this;
    const emulators: Emulators = await startEmulators(join(dataDir, 'emulators'));
    this.cleanup.push(() => emulators.close());

    await this.createStorage(emulators);

    // Each function signs with its own key: the credential scope then names the caller.
    const callers = new Map<string, Caller>();
    for (const fn of deployment.functions) {
      const accessKeyId = `ASIA${createHash('sha256').update(fn.name).digest('hex').slice(0, 16).toUpperCase()}`;
      this.credentials.set(fn.name, { accessKeyId, secretAccessKey: randomBytes(20).toString('base64'), sessionToken: randomBytes(32).toString('base64') });
      callers.set(accessKeyId, { functionName: fn.name, roleArn: fn.roleArn });
    }

    const msPerModelledMinute = this.options.msPerModelledMinute ?? DEFAULT_MS_PER_MODELLED_MINUTE;
    const localDynamo = new DynamoDBClient({ region: deployment.env.region, endpoint: emulators.dynamodbEndpoint, credentials: { accessKeyId: 'runner', secretAccessKey: 'runner' } });
    this.cleanup.push(() => localDynamo.destroy());
    const executionsTable = 'assembly-runner-stepfunctions-executions';
    await ensureTable(localDynamo, executionsTable);
    const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    this.stepFunctions = new LocalStepFunctions(new DynamoRecordStore(DynamoDBDocumentClient.from(localDynamo, { marshallOptions: { removeUndefinedValues: true } }), executionsTable), {
      region: deployment.env.region,
      msPerModelledMinute,
      tasks: {},
    });
    const sfnServer = createSfnServer(this.stepFunctions);
    await new Promise<void>((resolve) => sfnServer.listen(0, '127.0.0.1', resolve));
    const sfnUrl = `http://127.0.0.1:${(sfnServer.address() as AddressInfo).port}`;
    this.cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          sfnServer.close(() => resolve());
          sfnServer.closeAllConnections();
        }),
    );

    this.endpoint = new AwsEndpoint({ ledger: this.ledger, callers, dynamodb: emulators.dynamodbEndpoint, s3: emulators.s3Endpoint, stepFunctions: sfnUrl, scheduler: this.scheduler, route53: this.route53, secretsManager: this.secretsManager, account: deployment.env.account });
    const endpointUrl = await this.endpoint.start();
    this.cleanup.push(() => this.endpoint.stop());

    const codeDirs = this.stageCode();
    const overrides = RUNNER_OVERRIDES(msPerModelledMinute);
    this.lambda = new LambdaService({
      ledger: this.ledger,
      codeDirectoryOf: (fn) => codeDirs.get(fn.codeDirectory)!,
      environmentOf: (fn, logStream) => ({
        ...runnerVariables(endpointUrl),
        ...lambdaRuntimeVariables(fn, this.credentials.get(fn.name)!, logStream, codeDirs.get(fn.codeDirectory)!),
        ...Object.fromEntries(Object.entries(overrides).filter(([k]) => !(k in fn.environment)).map(([k, v]) => [k, v.value])),
        ...fn.environment,
      }),
    });
    // Executions settle (and their tasks with them) before the sandboxes go.
    this.cleanup.push(() => this.lambda.stop());
    this.cleanup.push(() => this.stepFunctions.drain(true));

    registerStateMachines(deployment, this.stepFunctions, this.lambda, this.ledger);

    for (const api of deployment.httpApis) {
      const reserved = apiServers.get(api.logicalId)!;
      const front = new HttpApiFront(reserved.server, api, deployment, this.lambda, this.ledger, this.accessLog);
      this.cleanup.push(() => front.close());
    }
    for (const spec of deployment.functionUrls) {
      const reserved = urlServers.get(spec.logicalId)!;
      const fn = deployment.functions.find((f) => f.arn === spec.functionArn)!;
      const front = new FunctionUrlFront(reserved.server, spec, fn, deployment, this.lambda, this.ledger, this.accessLog);
      this.cleanup.push(() => front.close());
    }

    for (const s of deployment.schedules) {
      this.scheduler.add({ name: s.name, group: s.group, expression: s.expression, timezone: 'UTC', target: { Arn: s.target.arn, RoleArn: s.target.roleArn, Input: s.target.input }, actionAfterCompletion: 'NONE', origin: 'template' });
    }
    // One-time schedules fire when due (EventBridge Scheduler's own precision is a minute; here it is immediate).
    this.schedulerTimer = setInterval(() => void this.fireDue(), 100);
    this.cleanup.push(() => clearInterval(this.schedulerTimer));

    // The operator's view of the same tables and buckets, straight to the emulators (seeding, assertions).
    const names = Object.fromEntries(deployment.functions.flatMap((f) => Object.entries(f.environment)).filter(([k]) => /_(TABLE|BUCKET)$|^STATE_MACHINE_ARN_PREFIX$/.test(k)));
    this.inspect = buildServices(loadConfig({ ...names, AWS_REGION: deployment.env.region, DYNAMODB_ENDPOINT: emulators.dynamodbEndpoint, S3_ENDPOINT: emulators.s3Endpoint, SFN_ENDPOINT: sfnUrl, TIME_SCALE_MS_PER_MINUTE: String(msPerModelledMinute) }));
    this.cleanup.push(() => this.inspect.destroy());
  }

  /** Tables and buckets as the template defines them (key schema, indexes), not as the project's bootstrap would. */
  private async createStorage(emulators: Emulators) {
    const dynamo = new DynamoDBClient({ region: STACK_ENVIRONMENT.region, endpoint: emulators.dynamodbEndpoint, credentials: { accessKeyId: 'runner', secretAccessKey: 'runner' } });
    const s3 = new S3Client({ region: STACK_ENVIRONMENT.region, endpoint: emulators.s3Endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    try {
      for (const t of this.deployment.tables) {
        const p = t.properties as Record<string, any>;
        const input: CreateTableCommandInput = {
          TableName: t.name,
          KeySchema: p.KeySchema,
          AttributeDefinitions: p.AttributeDefinitions,
          BillingMode: p.BillingMode ?? 'PROVISIONED',
          ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
          ...(p.LocalSecondaryIndexes ? { LocalSecondaryIndexes: p.LocalSecondaryIndexes } : {}),
          ...(p.BillingMode === 'PAY_PER_REQUEST' ? {} : { ProvisionedThroughput: p.ProvisionedThroughput ?? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } }),
        };
        await dynamo.send(new CreateTableCommand(input));
      }
      for (const b of this.deployment.buckets) await s3.send(new CreateBucketCommand({ Bucket: b.name }));
    } finally {
      dynamo.destroy();
      s3.destroy();
    }
  }

  /**
   * Unpacks each asset as Lambda does into a task root of its own, next to a node_modules holding only
   * what the Node.js runtime provides (the AWS SDK v3, from this project's node_modules). A bundle that
   * imports anything else fails to load, as it would on AWS.
   */
  private stageCode(): Map<string, string> {
    const root = join(this.dataDir, 'sandboxes');
    mkdirSync(join(root, 'node_modules'), { recursive: true });
    for (const pkg of RUNTIME_PROVIDED_PACKAGES) symlinkSync(join(REPO_NODE_MODULES, pkg), join(root, 'node_modules', pkg), 'dir');
    const dirs = new Map<string, string>();
    for (const fn of this.deployment.functions) {
      if (dirs.has(fn.codeDirectory)) continue;
      const target = join(root, basename(fn.codeDirectory));
      if (!existsSync(target)) cpSync(fn.codeDirectory, target, { recursive: true });
      dirs.set(fn.codeDirectory, target);
    }
    return dirs;
  }

  private firing = false;
  private async fireDue() {
    if (this.firing) return;
    this.firing = true;
    try {
      for (const s of this.scheduler.due(new Date())) {
        this.scheduler.remove(s);
        await this.fire(s);
      }
    } finally {
      this.firing = false;
    }
  }

  /** Fires a schedule as EventBridge Scheduler does: assume its role, then invoke the target with the input. */
  async fire(s: StoredSchedule): Promise<ScheduleFiring> {
    const caller = `schedule ${s.group}/${s.name}`;
    const { account } = this.deployment.env;
    const record = (outcome: ScheduleFiring['outcome']) => {
      const firing = { schedule: `${s.group}/${s.name}`, at: new Date(), outcome };
      this.firings.push(firing);
      return firing;
    };
    const trust = this.ledger.checkAssumeRole(s.target.RoleArn, caller, 'scheduler.amazonaws.com', { 'aws:SourceAccount': account, 'aws:SourceArn': s.arn });
    const fn = this.deployment.functions.find((f) => f.arn === s.target.Arn || s.target.Arn.startsWith(`${f.arn}:`));
    if (!fn) return record({ ok: false, errorType: 'ValidationException', errorMessage: `schedule target ${s.target.Arn} is not a function of the template` });
    const invoke = this.ledger.checkRoleCall(s.target.RoleArn, caller, 'service', 'Invoke', { action: 'lambda:InvokeFunction', resource: s.target.Arn });
    if (trust.decision !== 'allow' || invoke.decision !== 'allow') return record({ ok: false, errorType: 'AccessDenied', errorMessage: describeDenial(trust.decision !== 'allow' ? trust : invoke) });
    let input: unknown = {};
    try {
      input = s.target.Input === undefined ? {} : JSON.parse(s.target.Input);
    } catch {
      input = s.target.Input;
    }
    return record(await this.lambda.invoke(fn, input));
  }

  /** Fires a recurring schedule of the template now (e.g. the catch-up rate schedule), as if its period had elapsed. */
  async fireTemplateSchedule(match: (s: StoredSchedule) => boolean): Promise<ScheduleFiring> {
    const s = [...this.scheduler.schedules.values()].find((x) => x.origin === 'template' && match(x));
    if (!s) throw new AssemblyError('no recurring schedule of the template matches');
    return this.fire(s);
  }

  /** What this runtime observed, for a report over one or more scenarios. */
  observed(): Observed {
    return {
      observations: this.ledger.observations,
      envUsage: this.lambda.envUsage,
      endpointProblems: this.endpoint.problems.map((p) => p.problem),
      asyncFailures: this.firings.filter((f) => !f.outcome.ok).map((f) => `schedule ${f.schedule} at ${f.at.toISOString()}: ${'errorType' in f.outcome ? `${f.outcome.errorType}: ${f.outcome.errorMessage}` : ''}`),
      runtimeDefined: this.runtimeDefinedVariables(),
    };
  }

  private runtimeDefinedVariables(): Set<string> {
    const names = new Set<string>();
    for (const fn of this.deployment.functions) for (const k of Object.keys(lambdaRuntimeVariables(fn, this.credentials.get(fn.name)!, '', ''))) names.add(k);
    return names;
  }

  /** The report over this runtime alone (one scenario's worth: unread variables are notes, not failures). */
  report(): AssemblyReport {
    return buildReport(this.deployment, [this.observed()], { complete: false });
  }

  async stop(): Promise<void> {
    for (const fn of this.cleanup.reverse()) await Promise.resolve(fn()).catch(() => undefined);
    this.cleanup.length = 0;
    if (!this.options.keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * One report over several runtimes (one per scenario): a statement is unused only if no scenario used it.
 * `complete` = every scenario ran: only then is "set but never read" a failure (a subset of scenarios may
 * simply not reach the code that reads a variable); "read but not set" always is.
 */
export function buildReport(deployment: Deployment, parts: readonly Observed[], options: { complete?: boolean } = {}): AssemblyReport {
  const ledger = new AccessLedger(deployment);
  const usage = new Map<string, EnvUsage>();
  const runtimeDefined = new Set<string>();
  for (const part of parts) {
    ledger.observations.push(...part.observations);
    for (const name of part.runtimeDefined) runtimeDefined.add(name);
    for (const [fn, u] of part.envUsage) {
      const merged = usage.get(fn) ?? { reads: new Map<string, Set<string>>(), enumerations: new Set<string>(), invocations: 0 };
      for (const [key, kinds] of u.reads) merged.reads.set(key, new Set([...(merged.reads.get(key) ?? []), ...kinds]));
      for (const e of u.enumerations) merged.enumerations.add(e);
      merged.invocations += u.invocations;
      usage.set(fn, merged);
    }
  }
  const environment = checkEnvironment(deployment.functions, usage, runtimeDefined);
  const denials = [...new Set(ledger.denials().map(describeDenial))];
  const endpointProblems = [...new Set(parts.flatMap((p) => p.endpointProblems))];
  const asyncFailures = parts.flatMap((p) => p.asyncFailures);
  return {
    denials,
    endpointProblems,
    environment,
    unusedStatements: ledger.unusedStatements(),
    unusedActions: ledger.unusedActions(),
    asyncFailures,
    failures: [
      ...denials.map((d) => `IAM: ${d}`),
      ...endpointProblems.map((p) => `endpoint: ${p}`),
      ...environment.findings.filter((f) => options.complete !== false || f.readNotSet.length).map((f) => `environment: ${f.message}`),
      ...asyncFailures,
    ],
    warnings: [
      ...deployment.warnings,
      ...environment.awaited.map((a) =>
        a.readBy.length
          ? `${a.variable} is now read by ${a.readBy.length} function(s): delete it from AWAITED_READERS (tools/assembly/environment-check.ts)`
          : `${a.variable} is set on ${a.unreadBy.length} function(s) and awaited: ${AWAITED_READERS[a.variable]}`,
      ),
      ...(options.complete === false ? environment.findings.filter((f) => !f.readNotSet.length).map((f) => `not read in the scenarios run (run all to check): ${f.message}`) : []),
    ],
  };
}
