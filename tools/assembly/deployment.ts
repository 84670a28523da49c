import { existsSync } from 'node:fs';
import type { CloudAssembly } from './cloud-assembly.js';
import { TemplateError } from './errors.js';
import { statementsOf, type PolicyDocument, type PolicyStatement, type SourcedStatement } from './iam-policy.js';
import { TemplateResolver, type AttributeOverride, type StackEnvironment } from './template.js';

/** One Lambda function as the template declares it. */
export interface FunctionSpec {
  logicalId: string;
  name: string;
  arn: string;
  roleArn: string;
  handler: string;
  runtime: string;
  /** Directory of the bundled asset (what `cdk deploy` zips and uploads). */
  codeDirectory: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  logGroupName: string;
  logGroupArn: string;
  tracing: boolean;
}

export interface RoleSpec {
  logicalId: string;
  name: string;
  arn: string;
  trust: SourcedStatement[];
  /** Identity policies: inline `Policies`, `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` attached to it. */
  statements: SourcedStatement[];
  /** AWS managed policies cannot be evaluated offline: any present makes a call "unknown", never allowed. */
  managedPolicyArns: string[];
}

export interface RouteSpec {
  logicalId: string;
  apiLogicalId: string;
  routeKey: string;
  /** `ANY`, `GET`, ... or undefined for `$default`. */
  method?: string;
  path?: string;
  functionArn: string;
  payloadFormatVersion: string;
}

export interface HttpApiSpec {
  logicalId: string;
  apiId: string;
  stages: string[];
  /** Custom domain names mapped to the API (`AWS::ApiGatewayV2::ApiMapping`): a request for one keeps its Host. */
  customDomains: string[];
  routes: RouteSpec[];
}

export interface FunctionUrlSpec {
  logicalId: string;
  functionArn: string;
  invokeMode: 'BUFFERED' | 'RESPONSE_STREAM';
  authType: string;
}

export interface StateMachineSpec {
  logicalId: string;
  name: string;
  arn: string;
  roleArn: string;
  /** The definition with DefinitionSubstitutions applied, as Step Functions would receive it. */
  definition: string;
  /** `${name}` placeholders the substitutions left in the definition (a broken substitution). */
  unresolved: string[];
  /** Substitution keys no placeholder uses. */
  unusedSubstitutions: string[];
  /** Execution logging to CloudWatch Logs and X-Ray tracing (what the service then does with the role). */
  logging: boolean;
  tracing: boolean;
}

export interface ScheduleSpec {
  logicalId: string;
  name: string;
  group: string;
  expression: string;
  target: { arn: string; roleArn: string; input?: string };
}

export interface TableSpec {
  logicalId: string;
  name: string;
  arn: string;
  properties: Record<string, unknown>;
}

/** The template as a local deployment: every value resolved, nothing read from the source tree. */
export interface Deployment {
  env: StackEnvironment;
  functions: FunctionSpec[];
  roles: RoleSpec[];
  /** Resource policies of functions (`AWS::Lambda::Permission`), by function ARN. */
  functionPolicies: Map<string, SourcedStatement[]>;
  /** Bucket policies by bucket name. */
  bucketPolicies: Map<string, SourcedStatement[]>;
  httpApis: HttpApiSpec[];
  functionUrls: FunctionUrlSpec[];
  stateMachines: StateMachineSpec[];
  schedules: ScheduleSpec[];
  scheduleGroups: string[];
  tables: TableSpec[];
  buckets: { logicalId: string; name: string }[];
  outputs: Record<string, string>;
  warnings: string[];
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * Builds the local deployment from a cloud assembly. `override` supplies attributes only the runner knows
 * (the local URLs of the HTTP API and the Function URLs).
 */
export function buildDeployment(assembly: CloudAssembly, env: StackEnvironment, override?: AttributeOverride): Deployment {
  const r = new TemplateResolver(assembly.template, env, override);

  const roles = r.resourcesOfType('AWS::IAM::Role').map(([id, res]): RoleSpec => {
    const p = res.Properties ?? {};
    const trust = statementsOf(`${id}.AssumeRolePolicyDocument`, r.resolve(p.AssumeRolePolicyDocument, `${id}.AssumeRolePolicyDocument`) as PolicyDocument);
    const inline = ((r.resolve(p.Policies ?? [], `${id}.Policies`) as { PolicyName: string; PolicyDocument: PolicyDocument }[]) ?? []).flatMap((pol) =>
      statementsOf(`${id}.Policies.${pol.PolicyName}`, pol.PolicyDocument),
    );
    return { logicalId: id, name: r.physicalName(id), arn: r.arn(id), trust, statements: inline, managedPolicyArns: (r.resolve(p.ManagedPolicyArns ?? [], `${id}.ManagedPolicyArns`) as string[]) ?? [] };
  });
  const roleByName = new Map(roles.map((role) => [role.name, role]));
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, res] of r.resourcesOfType(type)) {
      const document = r.resolve(res.Properties?.PolicyDocument, `${id}.PolicyDocument`) as PolicyDocument;
      for (const roleName of (r.resolve(res.Properties?.Roles ?? [], `${id}.Roles`) as string[]) ?? []) {
        const role = roleByName.get(roleName);
        if (!role) throw new TemplateError(`${id}: attached to role ${roleName}, which the template does not define`);
        role.statements.push(...statementsOf(id, document));
      }
    }
  }
  const roleByArn = new Map(roles.map((role) => [role.arn, role]));

  const functions = r.resourcesOfType('AWS::Lambda::Function').map(([id, res]): FunctionSpec => {
    const p = res.Properties ?? {};
    const where = (k: string) => `${id}.${k}`;
    const code = (p.Code ?? {}) as Record<string, unknown>;
    if (code.ZipFile !== undefined || code.ImageUri !== undefined) throw new TemplateError(`${id}: inline or container code is not supported by the runner`);
    const key = r.resolveString(code.S3Key, where('Code.S3Key'));
    const codeDirectory = assembly.fileAssets.get(key.replace(/\.zip$/, ''));
    if (!codeDirectory || !existsSync(codeDirectory)) throw new TemplateError(`${id}: code ${key} is not an asset of this cloud assembly (was it synthesized with bundling?)`);
    const roleArn = r.resolveString(p.Role, where('Role'));
    if (!roleByArn.has(roleArn)) throw new TemplateError(`${id}: execution role ${roleArn} is not a role of the template`);
    const variables = ((r.resolve(p.Environment, where('Environment')) as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
    const environment = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    const name = r.physicalName(id);
    const logging = (r.resolve(p.LoggingConfig, where('LoggingConfig')) as { LogGroup?: string } | undefined) ?? {};
    const logGroupName = logging.LogGroup ?? `/aws/lambda/${name}`;
    return {
      logicalId: id,
      name,
      arn: r.arn(id),
      roleArn,
      handler: r.resolveString(p.Handler, where('Handler')),
      runtime: r.resolveString(p.Runtime, where('Runtime')),
      codeDirectory,
      environment,
      timeoutSeconds: Number(r.resolve(p.Timeout ?? 3, where('Timeout'))),
      memoryMb: Number(r.resolve(p.MemorySize ?? 128, where('MemorySize'))),
      logGroupName,
      logGroupArn: `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:${logGroupName}`,
      tracing: (r.resolve(p.TracingConfig, where('TracingConfig')) as { Mode?: string } | undefined)?.Mode === 'Active',
    };
  });
  const functionArn = (nameOrArn: string, where: string) => {
    const fn = functions.find((f) => f.arn === nameOrArn || f.name === nameOrArn || nameOrArn.startsWith(`${f.arn}:`));
    if (!fn) throw new TemplateError(`${where}: ${nameOrArn} is not a function of the template`);
    return fn.arn;
  };

  const functionPolicies = new Map<string, SourcedStatement[]>();
  for (const [id, res] of r.resourcesOfType('AWS::Lambda::Permission')) {
    const p = r.resolve(res.Properties, id) as Record<string, unknown>;
    const arn = functionArn(String(p.FunctionName), `${id}.FunctionName`);
    const principal = String(p.Principal);
    const condition: Record<string, Record<string, unknown>> = {};
    const add = (op: string, key: string, value: unknown) => ((condition[op] ??= {})[key] = value);
    if (p.SourceArn) add('ArnLike', 'aws:SourceArn', p.SourceArn);
    if (p.SourceAccount) add('StringEquals', 'aws:SourceAccount', p.SourceAccount);
    if (p.FunctionUrlAuthType) add('StringEquals', 'lambda:FunctionUrlAuthType', p.FunctionUrlAuthType);
    if (p.InvokedViaFunctionUrl !== undefined) add('Bool', 'lambda:InvokedViaFunctionUrl', String(p.InvokedViaFunctionUrl));
    const statement: PolicyStatement = {
      Sid: id,
      Effect: 'Allow',
      Principal: principal === '*' ? '*' : principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
      Action: String(p.Action),
      Resource: arn,
      ...(Object.keys(condition).length ? { Condition: condition } : {}),
    };
    functionPolicies.set(arn, [...(functionPolicies.get(arn) ?? []), { id: `${id}#0`, policy: id, index: 0, statement }]);
  }

  const bucketPolicies = new Map<string, SourcedStatement[]>();
  for (const [id, res] of r.resourcesOfType('AWS::S3::BucketPolicy')) {
    const bucket = r.resolveString(res.Properties?.Bucket, `${id}.Bucket`);
    bucketPolicies.set(bucket, [...(bucketPolicies.get(bucket) ?? []), ...statementsOf(id, r.resolve(res.Properties?.PolicyDocument, `${id}.PolicyDocument`) as PolicyDocument)]);
  }

  const integrations = new Map(
    r.resourcesOfType('AWS::ApiGatewayV2::Integration').map(([id, res]) => {
      const p = res.Properties ?? {};
      const type = r.resolveString(p.IntegrationType, `${id}.IntegrationType`);
      if (type !== 'AWS_PROXY') throw new TemplateError(`${id}: integration type ${type} is not supported by the runner (Lambda proxy only)`);
      return [r.physicalName(id), { functionArn: functionArn(r.resolveString(p.IntegrationUri, `${id}.IntegrationUri`), `${id}.IntegrationUri`), payloadFormatVersion: r.resolveString(p.PayloadFormatVersion ?? '1.0', `${id}.PayloadFormatVersion`) }];
    }),
  );
  const httpApis = r.resourcesOfType('AWS::ApiGatewayV2::Api').map(([apiLogicalId, res]): HttpApiSpec => {
    const protocol = str(res.Properties?.ProtocolType) ?? 'HTTP';
    if (protocol !== 'HTTP') throw new TemplateError(`${apiLogicalId}: protocol ${protocol} is not supported by the runner`);
    const apiId = r.physicalName(apiLogicalId);
    const onApi = (props: Record<string, unknown> | undefined, id: string) => r.resolveString(props?.ApiId, `${id}.ApiId`) === apiId;
    const stages = r.resourcesOfType('AWS::ApiGatewayV2::Stage').filter(([id, s]) => onApi(s.Properties, id)).map(([id]) => r.physicalName(id));
    const customDomains = r
      .resourcesOfType('AWS::ApiGatewayV2::ApiMapping')
      .filter(([id, m]) => onApi(m.Properties, id))
      .map(([id, m]) => r.resolveString(m.Properties?.DomainName, `${id}.DomainName`).toLowerCase());
    const routes = r
      .resourcesOfType('AWS::ApiGatewayV2::Route')
      .filter(([id, rt]) => onApi(rt.Properties, id))
      .map(([id, rt]): RouteSpec => {
        const routeKey = r.resolveString(rt.Properties?.RouteKey, `${id}.RouteKey`);
        const target = r.resolveString(rt.Properties?.Target, `${id}.Target`);
        const integration = integrations.get(target.replace(/^integrations\//, ''));
        if (!integration) throw new TemplateError(`${id}: route ${routeKey} targets ${target}, which is not an integration of the template`);
        const [method, path] = routeKey === '$default' ? [undefined, undefined] : routeKey.split(' ');
        return { logicalId: id, apiLogicalId, routeKey, method, path, ...integration };
      });
    return { logicalId: apiLogicalId, apiId, stages, customDomains, routes };
  });

  const functionUrls = r.resourcesOfType('AWS::Lambda::Url').map(([id, res]): FunctionUrlSpec => {
    const p = r.resolve(res.Properties, id) as Record<string, unknown>;
    return { logicalId: id, functionArn: functionArn(String(p.TargetFunctionArn), `${id}.TargetFunctionArn`), invokeMode: (p.InvokeMode as FunctionUrlSpec['invokeMode']) ?? 'BUFFERED', authType: String(p.AuthType) };
  });

  const stateMachines = r.resourcesOfType('AWS::StepFunctions::StateMachine').map(([id, res]): StateMachineSpec => {
    const p = res.Properties ?? {};
    const raw = p.DefinitionString !== undefined ? r.resolveString(p.DefinitionString, `${id}.DefinitionString`) : JSON.stringify(r.resolve(p.Definition, `${id}.Definition`));
    const substitutions = (r.resolve(p.DefinitionSubstitutions ?? {}, `${id}.DefinitionSubstitutions`) ?? {}) as Record<string, unknown>;
    const used = new Set<string>();
    const unresolved = new Set<string>();
    // CloudFormation replaces `${key}` for each substitution key and leaves anything else as written.
    const definition = raw.replace(/\$\{([^}]+)\}/g, (whole, key: string) => {
      if (Object.hasOwn(substitutions, key)) {
        used.add(key);
        return String(substitutions[key]);
      }
      unresolved.add(key);
      return whole;
    });
    return {
      logicalId: id,
      name: r.physicalName(id),
      arn: r.arn(id),
      roleArn: r.resolveString(p.RoleArn, `${id}.RoleArn`),
      definition,
      unresolved: [...unresolved],
      unusedSubstitutions: Object.keys(substitutions).filter((k) => !used.has(k)),
      logging: ((r.resolve(p.LoggingConfiguration, `${id}.LoggingConfiguration`) as { Level?: string } | undefined)?.Level ?? 'OFF') !== 'OFF',
      tracing: Boolean((r.resolve(p.TracingConfiguration, `${id}.TracingConfiguration`) as { Enabled?: boolean } | undefined)?.Enabled),
    };
  });

  const schedules = r.resourcesOfType('AWS::Scheduler::Schedule').map(([id, res]): ScheduleSpec => {
    const p = r.resolve(res.Properties, id) as Record<string, any>;
    return { logicalId: id, name: r.physicalName(id), group: p.GroupName ?? 'default', expression: String(p.ScheduleExpression), target: { arn: String(p.Target?.Arn), roleArn: String(p.Target?.RoleArn), input: p.Target?.Input } };
  });

  const tables = r.resourcesOfType('AWS::DynamoDB::Table').map(([id, res]) => ({ logicalId: id, name: r.physicalName(id), arn: r.arn(id), properties: r.resolve(res.Properties, id) as Record<string, unknown> }));
  const buckets = r.resourcesOfType('AWS::S3::Bucket').map(([id]) => ({ logicalId: id, name: r.physicalName(id) }));
  const outputs = Object.fromEntries(
    Object.entries(assembly.template.Outputs ?? {})
      .filter(([, o]) => !o.Condition || r.condition(o.Condition, 'output'))
      .map(([k, o]) => [k, r.resolveString(o.Value, `Outputs.${k}`)]),
  );

  return {
    env,
    functions,
    roles,
    functionPolicies,
    bucketPolicies,
    httpApis,
    functionUrls,
    stateMachines,
    schedules,
    scheduleGroups: r.resourcesOfType('AWS::Scheduler::ScheduleGroup').map(([id]) => r.physicalName(id)),
    tables,
    buckets,
    outputs,
    warnings: r.warnings,
  };
}

export function roleOf(deployment: Deployment, roleArn: string): RoleSpec {
  const role = deployment.roles.find((x) => x.arn === roleArn);
  if (!role) throw new TemplateError(`role ${roleArn} is not defined by the template`);
  return role;
}
