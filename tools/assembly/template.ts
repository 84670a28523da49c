import { createHash } from 'node:crypto';
import { TemplateError } from './errors.js';

/** The parts of a CloudFormation template the runner reads. */
export interface Template {
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Condition?: string }>;
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  Condition?: string;
  DependsOn?: string | string[];
}

/** Where the stack is "deployed": the pseudo parameters. */
export interface StackEnvironment {
  stackName: string;
  account: string;
  region: string;
  partition: string;
  urlSuffix: string;
}

/** Attributes the runner supplies itself (local URLs of the HTTP API and Function URLs). */
export type AttributeOverride = (logicalId: string, type: string, attribute: string) => string | undefined;

/** Physical-name property per resource type (when the template gives a name, that is the name). */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::Policy': 'PolicyName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Scheduler::ScheduleGroup': 'Name',
  'AWS::Scheduler::Schedule': 'Name',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::ApiGatewayV2::Stage': 'StageName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SSM::Parameter': 'Name',
  'AWS::ApiGatewayV2::DomainName': 'DomainName',
};

/** What `Ref` returns per type (CloudFormation resource reference); anything else returns its physical id. */
const REF_RETURNS_ARN = new Set(['AWS::StepFunctions::StateMachine', 'AWS::SNS::Topic', 'AWS::IAM::ManagedPolicy', 'AWS::SecretsManager::Secret']);
/** Types whose physical id is a service-generated id rather than a name. */
const GENERATED_ID = new Set([
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Route',
  'AWS::Lambda::Permission',
  'AWS::Lambda::Url',
  'AWS::Cognito::UserPool',
  'AWS::Cognito::UserPoolClient',
  'AWS::S3::BucketPolicy',
]);

const PSEUDO = ['AWS::AccountId', 'AWS::Region', 'AWS::Partition', 'AWS::URLSuffix', 'AWS::StackName', 'AWS::StackId', 'AWS::NotificationARNs', 'AWS::NoValue'];

/** Marker for `Ref: AWS::NoValue`: the property is removed. */
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Resolves CloudFormation intrinsics (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If,
 * Fn::FindInMap, Fn::Base64, conditions) against a local "deployment": physical names are the template's own
 * names where it gives them, otherwise deterministic CloudFormation-style names. An unknown reference or
 * attribute fails with the logical id and where it was used, as CloudFormation would refuse the template.
 */
export class TemplateResolver {
  /** Notes about values the runner had to invent (e.g. attributes of resources it does not emulate). */
  readonly warnings: string[] = [];
  private readonly names = new Map<string, string>();

  constructor(
    readonly template: Template,
    readonly env: StackEnvironment,
    private readonly override: AttributeOverride = () => undefined,
  ) {}

  resource(logicalId: string, where: string): TemplateResource {
    const r = this.template.Resources[logicalId];
    if (!r) throw new TemplateError(`${where}: references "${logicalId}", which is not a resource of the template`);
    return r;
  }

  /** Resources of one type whose Condition (if any) holds. */
  resourcesOfType(type: string): [string, TemplateResource][] {
    return Object.entries(this.template.Resources).filter(([, r]) => r.Type === type && (!r.Condition || this.condition(r.Condition, `resource condition ${r.Condition}`)));
  }

  /** The physical name (or id) CloudFormation would give the resource. */
  physicalName(logicalId: string): string {
    const cached = this.names.get(logicalId);
    if (cached) return cached;
    const r = this.resource(logicalId, 'physical name');
    const prop = NAME_PROPERTY[r.Type];
    const given = prop ? r.Properties?.[prop] : undefined;
    let name: string;
    if (given !== undefined) name = this.resolveString(given, `${logicalId}.${prop}`);
    else if (GENERATED_ID.has(r.Type)) name = suffix(`${this.env.stackName}/${logicalId}`, 10).toLowerCase();
    else if (r.Type === 'AWS::S3::Bucket') name = `${this.env.stackName}-${logicalId}`.toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 50) + '-' + suffix(logicalId, 12).toLowerCase();
    else name = `${this.env.stackName}-${logicalId}`.slice(0, 50) + '-' + suffix(logicalId, 12);
    this.names.set(logicalId, name);
    return name;
  }

  arn(logicalId: string): string {
    const r = this.resource(logicalId, 'ARN');
    const { partition: p, region, account } = this.env;
    const name = this.physicalName(logicalId);
    switch (r.Type) {
      case 'AWS::Lambda::Function':
        return `arn:${p}:lambda:${region}:${account}:function:${name}`;
      case 'AWS::IAM::Role':
        return `arn:${p}:iam::${account}:role/${name}`;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${p}:iam::${account}:policy/${name}`;
      case 'AWS::DynamoDB::Table':
        return `arn:${p}:dynamodb:${region}:${account}:table/${name}`;
      case 'AWS::S3::Bucket':
        return `arn:${p}:s3:::${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${p}:states:${region}:${account}:stateMachine:${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:${p}:logs:${region}:${account}:log-group:${name}:*`;
      case 'AWS::Scheduler::ScheduleGroup':
        return `arn:${p}:scheduler:${region}:${account}:schedule-group/${name}`;
      case 'AWS::Scheduler::Schedule': {
        const group = r.Properties?.GroupName ? this.resolveString(r.Properties.GroupName, `${logicalId}.GroupName`) : 'default';
        return `arn:${p}:scheduler:${region}:${account}:schedule/${group}/${name}`;
      }
      case 'AWS::SNS::Topic':
        return `arn:${p}:sns:${region}:${account}:${name}`;
      case 'AWS::CloudWatch::Alarm':
        return `arn:${p}:cloudwatch:${region}:${account}:alarm:${name}`;
      case 'AWS::Cognito::UserPool':
        return `arn:${p}:cognito-idp:${region}:${account}:userpool/${region}_${name}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:${p}:secretsmanager:${region}:${account}:secret:${name}-${suffix(logicalId, 6)}`;
      default:
        this.warnings.push(`ARN of ${logicalId} (${r.Type}) invented by the runner`);
        return `arn:${p}:${r.Type.split('::')[1]!.toLowerCase()}:${region}:${account}:${logicalId}/${name}`;
    }
  }

  ref(name: string, where: string): string | typeof NO_VALUE {
    const { env } = this;
    switch (name) {
      case 'AWS::AccountId':
        return env.account;
      case 'AWS::Region':
        return env.region;
      case 'AWS::Partition':
        return env.partition;
      case 'AWS::URLSuffix':
        return env.urlSuffix;
      case 'AWS::StackName':
        return env.stackName;
      case 'AWS::StackId':
        return `arn:${env.partition}:cloudformation:${env.region}:${env.account}:stack/${env.stackName}/${suffix(env.stackName, 8)}`;
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const param = this.template.Parameters?.[name];
    if (param) {
      if (param.Default === undefined) throw new TemplateError(`${where}: parameter ${name} has no default and the runner passes no parameters`);
      // SSM-typed parameters hold a parameter *name*; the value lives in the account (the bootstrap version).
      if (param.Type.startsWith('AWS::SSM::Parameter::Value')) return `ssm:${String(param.Default)}`;
      return String(param.Default);
    }
    const r = this.resource(name, where);
    if (REF_RETURNS_ARN.has(r.Type)) return this.arn(name);
    if (r.Type === 'AWS::Lambda::Url') return this.resolveString(r.Properties?.TargetFunctionArn, `${name}.TargetFunctionArn`);
    return this.physicalName(name);
  }

  getAtt(logicalId: string, attribute: string, where: string): string {
    const r = this.resource(logicalId, where);
    const overridden = this.override(logicalId, r.Type, attribute);
    if (overridden !== undefined) return overridden;
    const fail = () => new TemplateError(`${where}: Fn::GetAtt ${logicalId}.${attribute}: ${r.Type} has no attribute ${attribute} the runner knows`);
    const name = () => this.physicalName(logicalId);
    const { region, urlSuffix } = this.env;
    switch (`${r.Type}.${attribute}`) {
      case 'AWS::Lambda::Function.Arn':
      case 'AWS::IAM::Role.Arn':
      case 'AWS::IAM::ManagedPolicy.Arn':
      case 'AWS::DynamoDB::Table.Arn':
      case 'AWS::S3::Bucket.Arn':
      case 'AWS::StepFunctions::StateMachine.Arn':
      case 'AWS::Logs::LogGroup.Arn':
      case 'AWS::Scheduler::ScheduleGroup.Arn':
      case 'AWS::Scheduler::Schedule.Arn':
      case 'AWS::CloudWatch::Alarm.Arn':
      case 'AWS::Cognito::UserPool.Arn':
        return this.arn(logicalId);
      case 'AWS::SNS::Topic.TopicArn':
        return this.arn(logicalId);
      case 'AWS::SNS::Topic.TopicName':
      case 'AWS::StepFunctions::StateMachine.Name':
        return name();
      case 'AWS::IAM::Role.RoleId':
        return `AROA${suffix(logicalId, 17)}`;
      case 'AWS::DynamoDB::Table.StreamArn':
        return `${this.arn(logicalId)}/stream/1970-01-01T00:00:00.000`;
      case 'AWS::S3::Bucket.DomainName':
        return `${name()}.s3.${urlSuffix}`;
      case 'AWS::S3::Bucket.RegionalDomainName':
        return `${name()}.s3.${region}.${urlSuffix}`;
      case 'AWS::ApiGatewayV2::Api.ApiId':
        return name();
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint':
        return `https://${name()}.execute-api.${region}.${urlSuffix}`;
      case 'AWS::Lambda::Url.FunctionArn':
        return this.resolveString(r.Properties?.TargetFunctionArn, `${logicalId}.TargetFunctionArn`);
      case 'AWS::Lambda::Url.FunctionUrl':
        return `https://${name()}.lambda-url.${region}.on.aws/`;
      case 'AWS::Cognito::UserPool.UserPoolId':
        return `${region}_${name()}`;
      case 'AWS::Cognito::UserPool.ProviderName':
        return `cognito-idp.${region}.${urlSuffix}/${region}_${name()}`;
      case 'AWS::Cognito::UserPool.ProviderURL':
        return `https://cognito-idp.${region}.${urlSuffix}/${region}_${name()}`;
      case 'AWS::Cognito::UserPoolClient.ClientId':
        return name();
      case 'AWS::ApiGatewayV2::DomainName.RegionalDomainName':
        return `d-${suffix(logicalId, 10).toLowerCase()}.execute-api.${region}.${urlSuffix}`;
      case 'AWS::ApiGatewayV2::DomainName.RegionalHostedZoneId':
        return `Z${suffix(`${region}/apigw`, 13)}`;
    }
    if (attribute === 'Arn') {
      this.warnings.push(`${where}: ${logicalId}.Arn of ${r.Type} invented by the runner`);
      return this.arn(logicalId);
    }
    throw fail();
  }

  condition(name: string, where: string): boolean {
    const def = this.template.Conditions?.[name];
    if (def === undefined) throw new TemplateError(`${where}: condition ${name} is not defined`);
    return Boolean(this.resolve(def, `condition ${name}`));
  }

  /** Resolves every intrinsic in `value` (deep); `where` names the property for error messages. */
  resolve(value: unknown, where: string): unknown {
    const out = this.resolveInner(value, where);
    return out === NO_VALUE ? undefined : out;
  }

  resolveString(value: unknown, where: string): string {
    const out = this.resolve(value, where);
    if (typeof out === 'string') return out;
    if (typeof out === 'number' || typeof out === 'boolean') return String(out);
    throw new TemplateError(`${where}: expected a string, got ${JSON.stringify(out)}`);
  }

  private resolveInner(value: unknown, where: string): unknown {
    if (Array.isArray(value)) return value.map((v, i) => this.resolveInner(v, `${where}[${i}]`)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0]!;
      const intrinsic = this.intrinsic(key, arg, where);
      if (intrinsic !== NOT_INTRINSIC) return intrinsic;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = this.resolveInner(v, `${where}.${k}`);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  private intrinsic(key: string, arg: unknown, where: string): unknown {
    switch (key) {
      case 'Ref':
        return this.ref(String(arg), where);
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/s);
        return this.getAtt(id!, attr!, where);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown];
        const list = this.resolveInner(parts, where);
        if (!Array.isArray(list)) throw new TemplateError(`${where}: Fn::Join needs a list`);
        return list.map((p) => this.asString(p, where)).join(sep);
      }
      case 'Fn::Sub':
        return this.sub(arg, where);
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = this.resolveInner(list, where);
        const i = Number(this.resolveInner(index, where));
        if (!Array.isArray(items) || !(i >= 0 && i < items.length)) throw new TemplateError(`${where}: Fn::Select index ${i} out of range`);
        return items[i];
      }
      case 'Fn::Split': {
        const [sep, source] = arg as [string, unknown];
        return this.asString(this.resolveInner(source, where), where).split(sep);
      }
      case 'Fn::If': {
        const [cond, yes, no] = arg as [string, unknown, unknown];
        return this.resolveInner(this.condition(cond, where) ? yes : no, where);
      }
      case 'Fn::Equals': {
        const [a, b] = (arg as unknown[]).map((v) => this.resolveInner(v, where));
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not':
        return !this.resolveInner((arg as unknown[])[0], where);
      case 'Fn::And':
        return (arg as unknown[]).every((v) => this.resolveInner(v, where));
      case 'Fn::Or':
        return (arg as unknown[]).some((v) => this.resolveInner(v, where));
      case 'Condition':
        return this.condition(String(arg), where);
      case 'Fn::FindInMap': {
        const [map, top, second] = (arg as unknown[]).map((v) => this.asString(this.resolveInner(v, where), where));
        const found = this.template.Mappings?.[map!]?.[top!]?.[second!];
        if (found === undefined) throw new TemplateError(`${where}: Fn::FindInMap ${map}.${top}.${second} not found`);
        return found;
      }
      case 'Fn::Base64':
        return Buffer.from(this.asString(this.resolveInner(arg, where), where)).toString('base64');
      case 'Fn::GetAZs':
        return [`${this.env.region}a`, `${this.env.region}b`, `${this.env.region}c`];
      case 'Fn::ImportValue':
        throw new TemplateError(`${where}: Fn::ImportValue needs another stack's export; the runner deploys one stack`);
      default:
        return key.startsWith('Fn::') ? failUnknown(key, where) : NOT_INTRINSIC;
    }
  }

  private sub(arg: unknown, where: string): string {
    const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
    const variables = Object.fromEntries(Object.entries(vars ?? {}).map(([k, v]) => [k, this.resolveInner(v, where)]));
    return text.replace(/\$\{(!?)([^}]*)\}/g, (whole, bang: string, name: string) => {
      if (bang) return `\${${name}}`;
      if (name in variables) return this.asString(variables[name], where);
      if (PSEUDO.includes(name) || !name.includes('.')) return this.asString(this.ref(name, where), where);
      const [id, attr] = name.split(/\.(.*)/s);
      return this.getAtt(id!, attr!, where);
    });
  }

  private asString(v: unknown, where: string): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new TemplateError(`${where}: expected a string, got ${JSON.stringify(v)}`);
  }
}

const NOT_INTRINSIC = Symbol('not an intrinsic');
const failUnknown = (key: string, where: string): never => {
  throw new TemplateError(`${where}: intrinsic ${key} is not supported by the runner`);
};

/** Deterministic CloudFormation-like random suffix (uppercase letters and digits). */
function suffix(seed: string, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const bytes = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i % bytes.length]! % alphabet.length];
  return out;
}
