import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../functions/platform/observability/metrics.js';
import { REPO_ROOT } from '../sources.js';
import type { StageConfig } from '../stage.js';

/** Lambda runtime for every function; the code targets Node 20+ and is tested on 20 locally. */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_22_X;

export interface ControlPlaneFunctionProps {
  /** Physical-name suffix and log group name part (`<prefix>-<name>`). */
  name: string;
  entry: string;
  description: string;
  environment: Record<string, string>;
  timeout: Duration;
  memorySize?: number;
  config: StageConfig;
  /** Folders (relative to the repo root) copied next to the bundle, e.g. the console's static assets. */
  copyIntoBundle?: { from: string; to: string }[];
}

/**
 * One esbuild-bundled function (ESM, minified, source maps, ARM64) with its own log group, JSON logs,
 * X-Ray tracing and a role that starts empty: rights come only from `grant*` calls for its declaration.
 */
export class ControlPlaneFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ControlPlaneFunctionProps) {
    super(scope, id);
    const { config } = props;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${config.prefix}-${props.name}`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // No AWSLambdaBasicExecutionRole: it allows writing to every log group of the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${config.prefix}-${props.name}: only what cdk/permissions.ts declares`,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      functionName: `${config.prefix}-${props.name}`,
      description: props.description,
      entry: props.entry,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: `${config.prefix}-${props.name}`,
        // EMF metrics: one namespace, dimension service = the stage (what the alarms select on).
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        METRICS_SERVICE_NAME: config.prefix,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        platform: 'node',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // Some CommonJS dependencies call require() for Node built-ins; ESM output has none.
        banner: "import{createRequire as __cjsRequire}from'node:module';const require=__cjsRequire(import.meta.url);",
        // The Lambda Node.js runtime ships SDK v3; bundling it would triple every bundle (see docs/cdk.md).
        externalModules: config.bundleAwsSdk ? [] : ['@aws-sdk/*', '@smithy/*'],
        forceDockerBundling: false,
        ...(props.copyIntoBundle?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  props.copyIntoBundle!.map(({ from, to }) => `mkdir -p "${outputDir}/${to}" && cp -R "${inputDir}/${from}/." "${outputDir}/${to}/"`),
              },
            }
          : {}),
      },
    });
    this.logGroup.grantWrite(this.role);
  }
}
