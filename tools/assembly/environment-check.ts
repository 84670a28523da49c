import type { FunctionSpec } from './deployment.js';
import type { EnvUsage } from './lambda-service.js';

/**
 * Variables the Lambda runtime defines in every sandbox (reserved and unreserved runtime variables of the
 * Lambda documentation, "Defined runtime environment variables"), plus X-Ray's when tracing is active.
 */
export function lambdaRuntimeVariables(fn: FunctionSpec, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string }, logStream: string, codeDirectory: string): Record<string, string> {
  return {
    _HANDLER: fn.handler,
    AWS_REGION: regionOf(fn.arn),
    AWS_DEFAULT_REGION: regionOf(fn.arn),
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: logStream,
    AWS_ACCESS_KEY: credentials.accessKeyId,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
    LAMBDA_TASK_ROOT: codeDirectory,
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
    LD_LIBRARY_PATH: '/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib',
    NODE_PATH: '/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task',
    ...(fn.tracing ? { AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR', AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000', _AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129', _AWS_XRAY_DAEMON_PORT: '2000' } : {}),
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_LAMBDA_LOG_LEVEL: 'INFO',
  };
}

/** Per invocation the runtime also sets the trace header. */
const PER_INVOCATION = ['_X_AMZN_TRACE_ID'];

/**
 * Variables only the SDK reads, set by the runner so the deployed code runs unchanged against the local
 * endpoints and never against a developer's ~/.aws: not part of the template, never read by the code.
 */
export function runnerVariables(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_CONFIG_FILE: '/nonexistent/assembly-runner/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/assembly-runner/credentials',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/**
 * Variables the code may read that the template may leave unset on purpose: the absence is the AWS
 * behaviour (a default, or a feature that is off). Each has its reason. A variable the code reads that is
 * neither set by the template, nor defined by the runtime, nor listed here, fails the run.
 */
export const OPTIONAL_VARIABLES: Readonly<Record<string, string>> = {
  DYNAMODB_ENDPOINT: 'local emulator endpoint; unset on AWS = the service endpoint',
  S3_ENDPOINT: 'local emulator endpoint; unset on AWS = the service endpoint',
  SFN_ENDPOINT: 'local emulator endpoint; unset on AWS = the service endpoint',
  TABLE_PREFIX: 'local naming; the stack sets each table name explicitly',
  BUCKET_PREFIX: 'local naming; the stack sets each bucket name explicitly',
  TIME_SCALE_MS_PER_MINUTE: 'modelled-time scale; unset on AWS = real time (the runner sets it, see RUNNER_OVERRIDES)',
  ROUTE53_HOSTED_ZONE_ID: 'set only for functions declared route53 when the stage has a hostedZoneId',
  SCHEDULER_TARGET_ARN: 'set only for functions declared scheduler: true',
  SCHEDULER_ROLE_ARN: 'set only for functions declared scheduler: true',
  SCHEDULER_GROUP: 'set only for functions declared scheduler: true',
  APPLIANCE_BASE_URL: 'where the site driver reaches the appliances (docs/driver.md): the stack sets it on the functions that reach appliances (applianceDriver in cdk/permissions.ts); the others have no driver',
  DRIVER_CREDENTIALS_PREFIX: 'Secrets Manager prefix of the driver credentials: set beside APPLIANCE_BASE_URL, with a default (upgrade-cp/appliances/)',
  CONTROL_FORBID_SELF_APPROVAL: 'control setting with a default (true)',
  CONTROL_IDEMPOTENCY_TTL_HOURS: 'control setting with a default (24 h)',
  CONTROL_STALE_BACKUP_HOURS: 'control setting with a default',
  CONTROL_DNS_CUTOVER_MINUTES: 'control setting with a default',
  CONTROL_MAX_INTERIM_HOURS: 'control setting with a default (the plan settings\' longest interim)',
  CONTROL_API_USAGE_DAYS: 'control setting with a default (90 days of API-usage history)',
  SCHEDULER_INTERVAL_MS: 'period of the local scheduler loop (read with the control settings); EventBridge Scheduler replaces the loop on AWS',
  LOG_LEVEL: 'logging setting with a default (INFO); a stage may set it',
  LOG_FORMAT: 'logging setting with a default (JSON lines on Lambda)',
  METRICS_EMF: 'EMF switch with a default (on when AWS_LAMBDA_FUNCTION_NAME is set)',
  OIDC_ISSUER: 'OIDC sign-in is off unless the stage configures an issuer (set only on API functions then)',
  OIDC_AUDIENCE: 'OIDC sign-in setting; set with OIDC_ISSUER',
  OIDC_CLIENT_ID: 'OIDC sign-in setting; set with OIDC_ISSUER',
  OIDC_JWKS_URL: 'OIDC setting with a default (from the issuer\'s discovery document)',
  OIDC_AUTHORIZATION_ENDPOINT: 'OIDC setting with a default (from discovery)',
  OIDC_TOKEN_ENDPOINT: 'OIDC setting with a default (from discovery)',
  OIDC_ROLES_CLAIM: 'OIDC setting with a default (cognito:groups)',
  OIDC_ROLE_MAP: 'OIDC setting with a default (group names = role names)',
  OIDC_SCOPE: 'OIDC setting with a default (openid email profile)',
  CURSOR_KEY: 'the pagination cursor key given directly (the local runtime sets it from the data dir); the stack gives CURSOR_KEY_SECRET_ARN instead',
  CURSOR_KEY_SECRET_ARN: 'set only for functions that may query a table (they page with sealed cursors); read with the configuration everywhere',
};

/**
 * Variables that bundled libraries read for their own optional behaviour (documented switches of
 * the library, unset = its default). Not the project's configuration, so not failed as read-but-unset.
 */
export const LIBRARY_VARIABLES: Readonly<Record<string, string>> = {
  POWERTOOLS_DEV: 'Powertools: pretty-printing for development; unset = off',
  POWERTOOLS_LOG_LEVEL: 'Powertools Logger: its own level variable; the project passes LOG_LEVEL explicitly',
  POWERTOOLS_LOGGER_LOG_EVENT: 'Powertools Logger: log the incoming event; unset = off',
  POWERTOOLS_LOGGER_SAMPLE_RATE: 'Powertools Logger: debug sampling; unset = none',
  POWERTOOLS_METRICS_DISABLED: 'Powertools Metrics: kill switch; unset = metrics on',
  POWERTOOLS_METRICS_FUNCTION_NAME: 'Powertools Metrics: function-name dimension override; unset = none',
  ENVIRONMENT: 'Powertools Logger: optional environment field on each line; unset = left out',
  AWS_SDK_UA_APP_ID: 'Powertools commons: appends its user-agent marker to the SDK app id',
  AWS_LAMBDA_BENCHMARK_MODE: '@aws/lambda-invoke-store (bundled by Powertools): runtime probe; unset = normal mode',
  AWS_LAMBDA_MAX_CONCURRENCY: '@aws/lambda-invoke-store: multi-concurrency runtime probe; unset = one invocation per process',
  AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA: '@aws/lambda-invoke-store: runtime probe; unset = default',
};

/**
 * Deliberate differences from the template's environment, each with its reason. The runner sets them on
 * top of the template's variables (never instead of one the template sets).
 */
export const RUNNER_OVERRIDES = (msPerModelledMinute: number): Record<string, { value: string; reason: string }> => ({
  TIME_SCALE_MS_PER_MINUTE: { value: String(msPerModelledMinute), reason: 'a modelled install minute lasts milliseconds, not a minute' },
});

/**
 * Variables the stack sets for a reader that is on its way to main (another branch). Not failed as unread
 * while listed; the report says when the reader has arrived, and the entry is then deleted.
 */
export const AWAITED_READERS: Readonly<Record<string, string>> = {};

/** Template variables consumed by the runtime itself rather than by code (`process.env` never shows the read). */
const CONSUMED_BY_RUNTIME: Readonly<Record<string, string>> = {
  NODE_OPTIONS: 'read by node at start (the runner applies --enable-source-maps in the sandbox)',
};

export interface EnvironmentFinding {
  functionName: string;
  /** Read by the function's code but neither set by the template nor defined by the runtime nor optional. */
  readNotSet: string[];
  /** Set by the template but never read by the function's code during the scenarios. */
  setNotRead: string[];
  message: string;
}

export interface EnvironmentReport {
  findings: EnvironmentFinding[];
  /** Optional variables read but unset, with the reason they may be. */
  optionalReads: { functionName: string; variable: string; reason: string }[];
  /** Functions no scenario invoked (their variables were not checked). */
  notExercised: string[];
  /** Functions whose code enumerated process.env (a spread): "read" is then weaker evidence. */
  enumerated: string[];
  /** AWAITED_READERS entries: still unread (expected), or read now (delete the entry). */
  awaited: { variable: string; readBy: string[]; unreadBy: string[] }[];
}

/** Edit distance, for "did you mean" hints between a read name and a set name. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

export function checkEnvironment(
  functions: readonly FunctionSpec[],
  usage: ReadonlyMap<string, EnvUsage>,
  runtimeDefined: ReadonlySet<string>,
  awaitedReaders: Readonly<Record<string, string>> = AWAITED_READERS,
): EnvironmentReport {
  const report: EnvironmentReport = { findings: [], optionalReads: [], notExercised: [], enumerated: [], awaited: [] };
  const awaited = new Map(Object.keys(awaitedReaders).map((v) => [v, { variable: v, readBy: [] as string[], unreadBy: [] as string[] }]));
  for (const fn of functions) {
    const u = usage.get(fn.name);
    if (!u || u.invocations === 0) {
      report.notExercised.push(fn.name);
      continue;
    }
    const byCode = new Set([...u.reads].filter(([, kinds]) => kinds.has('code')).map(([k]) => k));
    const set = new Set(Object.keys(fn.environment));
    const readNotSet: string[] = [];
    for (const key of [...byCode].sort()) {
      if (set.has(key) || runtimeDefined.has(key) || PER_INVOCATION.includes(key) || Object.hasOwn(LIBRARY_VARIABLES, key)) continue;
      if (Object.hasOwn(OPTIONAL_VARIABLES, key)) report.optionalReads.push({ functionName: fn.name, variable: key, reason: OPTIONAL_VARIABLES[key]! });
      else readNotSet.push(key);
    }
    if (u.enumerations.has('code')) report.enumerated.push(fn.name);
    for (const [v, a] of awaited) if (set.has(v)) (byCode.has(v) ? a.readBy : a.unreadBy).push(fn.name);
    const setNotRead = u.enumerations.has('code') ? [] : [...set].filter((k) => !byCode.has(k) && !Object.hasOwn(CONSUMED_BY_RUNTIME, k) && !awaited.has(k)).sort();
    if (!readNotSet.length && !setNotRead.length) continue;
    const hints = readNotSet
      .map((r) => [r, setNotRead.find((s) => distance(r, s) <= Math.max(3, Math.floor(r.length / 3)))] as const)
      .filter(([, s]) => s)
      .map(([r, s]) => `the template sets ${s} where the code reads ${r}`);
    const parts = [
      readNotSet.length ? `reads ${readNotSet.join(', ')}, which the template does not set` : '',
      setNotRead.length ? `the template sets ${setNotRead.join(', ')}, which its code never reads` : '',
    ].filter(Boolean);
    report.findings.push({ functionName: fn.name, readNotSet, setNotRead, message: `${fn.name}: ${parts.join('; ')}${hints.length ? ` (${hints.join('; ')})` : ''}` });
  }
  report.awaited = [...awaited.values()].filter((a) => a.readBy.length || a.unreadBy.length);
  return report;
}

const regionOf = (arn: string) => arn.split(':')[3] ?? 'us-east-1';
