/**
 * The services the project has no emulator for, reduced to the operations the control plane calls,
 * answering in each service's wire format: EventBridge Scheduler (REST JSON: CreateSchedule, GetSchedule,
 * DeleteSchedule), Route 53 (REST XML: ChangeResourceRecordSets, ListResourceRecordSets, GetChange) and
 * Secrets Manager (AWS JSON 1.1: GetSecretValue, DescribeSecret; the pagination cursor key).
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface StandInResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const restJsonError = (status: number, type: string, message: string): StandInResponse => ({
  status,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
  body: JSON.stringify({ Message: message }),
});

export interface StoredSchedule {
  name: string;
  group: string;
  arn: string;
  expression: string;
  timezone: string;
  target: { Arn: string; RoleArn: string; Input?: string };
  actionAfterCompletion: string;
  /** From the template (CloudFormation) or created through the API at run time. */
  origin: 'template' | 'api';
  createdAt: Date;
}

const EXPRESSION = /^(at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/;

export class SchedulerStandIn {
  readonly schedules = new Map<string, StoredSchedule>();
  /** Every schedule ever created through the API, including ones deleted since (scenarios assert on them). */
  readonly created: StoredSchedule[] = [];

  constructor(
    private readonly arnBase: string,
    private readonly groups: Set<string>,
  ) {
    groups.add('default');
  }

  private key = (group: string, name: string) => `${group}/${name}`;

  add(schedule: Omit<StoredSchedule, 'arn' | 'createdAt'>): StoredSchedule {
    const stored = { ...schedule, arn: `${this.arnBase}:schedule/${schedule.group}/${schedule.name}`, createdAt: new Date() };
    this.schedules.set(this.key(schedule.group, schedule.name), stored);
    return stored;
  }

  remove(schedule: StoredSchedule): void {
    this.schedules.delete(this.key(schedule.group, schedule.name));
  }

  /** One-time schedules whose time has come (`at()` in UTC). A time already past fires at once. */
  due(now: Date): StoredSchedule[] {
    return [...this.schedules.values()].filter((s) => {
      const at = /^at\((.+)\)$/.exec(s.expression)?.[1];
      return at !== undefined && Date.parse(`${at}Z`) <= now.getTime();
    });
  }

  handle(method: string, url: string, body: Buffer): StandInResponse {
    const u = new URL(url, 'http://scheduler.local');
    const [, kind, rawName] = u.pathname.split('/');
    if (kind !== 'schedules' || !rawName) return restJsonError(400, 'ValidationException', `the assembly runner's Scheduler supports CreateSchedule, GetSchedule and DeleteSchedule only (got ${method} ${u.pathname})`);
    const name = decodeURIComponent(rawName);
    const input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, any>) : {};
    const group = String(input.GroupName ?? u.searchParams.get('groupName') ?? 'default');
    if (!this.groups.has(group)) return restJsonError(404, 'ResourceNotFoundException', `Schedule group ${group} does not exist.`);
    const existing = this.schedules.get(this.key(group, name));
    switch (method) {
      case 'POST': {
        if (existing) return restJsonError(409, 'ConflictException', `Schedule ${name} already exists.`);
        const expression = String(input.ScheduleExpression ?? '');
        if (!EXPRESSION.test(expression)) return restJsonError(400, 'ValidationException', `Invalid Schedule Expression ${expression}.`);
        if (!input.Target?.Arn || !input.Target?.RoleArn) return restJsonError(400, 'ValidationException', 'Target Arn and RoleArn are required.');
        if (!input.FlexibleTimeWindow?.Mode) return restJsonError(400, 'ValidationException', 'FlexibleTimeWindow is required.');
        const stored = this.add({
          name,
          group,
          expression,
          timezone: String(input.ScheduleExpressionTimezone ?? 'UTC'),
          target: { Arn: String(input.Target.Arn), RoleArn: String(input.Target.RoleArn), Input: input.Target.Input },
          actionAfterCompletion: String(input.ActionAfterCompletion ?? 'NONE'),
          origin: 'api',
        });
        this.created.push(stored);
        return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ScheduleArn: stored.arn }) };
      }
      case 'GET':
        if (!existing) return restJsonError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ Arn: existing.arn, Name: name, GroupName: group, ScheduleExpression: existing.expression, ScheduleExpressionTimezone: existing.timezone, Target: existing.target, State: 'ENABLED', ActionAfterCompletion: existing.actionAfterCompletion }),
        };
      case 'DELETE':
        if (!existing) return restJsonError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
        this.remove(existing);
        return { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
      default:
        return restJsonError(400, 'ValidationException', `unsupported method ${method}`);
    }
  }
}

export interface DnsRecord {
  name: string;
  type: string;
  ttl: number;
  values: string[];
}

const XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const xmlError = (status: number, code: string, message: string): StandInResponse => ({
  status,
  headers: { 'content-type': 'text/xml' },
  body: `<?xml version="1.0"?>\n<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
});
const tag = (xml: string, name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
const tags = (xml: string, name: string) => [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]!);

export class Route53StandIn {
  /** Record sets per zone, keyed `name|type` (names with the trailing dot Route 53 stores). */
  readonly zones = new Map<string, Map<string, DnsRecord>>();
  readonly changes: { zone: string; action: string; record: DnsRecord; at: Date }[] = [];

  constructor(zoneIds: string[]) {
    for (const z of zoneIds) this.zones.set(z, new Map());
  }

  /** The value a name resolves to in a zone (for scenario assertions). */
  resolve(zone: string, name: string, type = 'A'): string[] | undefined {
    return this.zones.get(zone)?.get(`${fqdn(name)}|${type}`)?.values;
  }

  handle(method: string, url: string, body: Buffer): StandInResponse {
    const path = new URL(url, 'http://route53.local').pathname;
    const change = /\/2013-04-01\/change\/([^/]+)$/.exec(path);
    if (change) return ok(`<GetChangeResponse xmlns="${XMLNS}"><ChangeInfo><Id>/change/${change[1]}</Id><Status>INSYNC</Status><SubmittedAt>${new Date().toISOString()}</SubmittedAt></ChangeInfo></GetChangeResponse>`);
    const m = /\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/.exec(path);
    if (!m) return xmlError(400, 'InvalidInput', `the assembly runner's Route 53 supports record-set changes and GetChange only (got ${method} ${path})`);
    const zone = this.zones.get(m[1]!);
    if (!zone) return xmlError(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${m[1]}`);
    if (method === 'GET') {
      const sets = [...zone.values()].map((r) => `<ResourceRecordSet><Name>${r.name}</Name><Type>${r.type}</Type><TTL>${r.ttl}</TTL><ResourceRecords>${r.values.map((v) => `<ResourceRecord><Value>${v}</Value></ResourceRecord>`).join('')}</ResourceRecords></ResourceRecordSet>`);
      return ok(`<ListResourceRecordSetsResponse xmlns="${XMLNS}"><ResourceRecordSets>${sets.join('')}</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>300</MaxItems></ListResourceRecordSetsResponse>`);
    }
    const xml = body.toString('utf8');
    const parsed = tags(xml, 'Change').map((c) => {
      const set = tag(c, 'ResourceRecordSet') ?? '';
      return { action: tag(c, 'Action') ?? '', record: { name: fqdn(tag(set, 'Name') ?? ''), type: tag(set, 'Type') ?? '', ttl: Number(tag(set, 'TTL') ?? 0), values: tags(set, 'Value') } };
    });
    if (!parsed.length) return xmlError(400, 'InvalidChangeBatch', 'ChangeBatch has no changes');
    // A batch is atomic: validate everything before applying anything.
    for (const { action, record } of parsed) {
      const exists = zone.has(`${record.name}|${record.type}`);
      if (!['CREATE', 'UPSERT', 'DELETE'].includes(action)) return xmlError(400, 'InvalidInput', `Invalid action ${action}`);
      if (action === 'CREATE' && exists) return xmlError(400, 'InvalidChangeBatch', `Tried to create resource record set [name='${record.name}', type='${record.type}'] but it already exists`);
      if (action === 'DELETE' && !exists) return xmlError(400, 'InvalidChangeBatch', `Tried to delete resource record set [name='${record.name}', type='${record.type}'] but it was not found`);
      if (action !== 'DELETE' && (!record.values.length || !(record.ttl >= 0))) return xmlError(400, 'InvalidInput', 'ResourceRecords and TTL are required');
    }
    for (const { action, record } of parsed) {
      if (action === 'DELETE') zone.delete(`${record.name}|${record.type}`);
      else zone.set(`${record.name}|${record.type}`, record);
      this.changes.push({ zone: m[1]!, action, record, at: new Date() });
    }
    return ok(`<ChangeResourceRecordSetsResponse xmlns="${XMLNS}"><ChangeInfo><Id>/change/C${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}</Id><Status>PENDING</Status><SubmittedAt>${new Date().toISOString()}</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`);
  }
}

const fqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`);
const ok = (xml: string): StandInResponse => ({ status: 200, headers: { 'content-type': 'text/xml' }, body: `<?xml version="1.0" encoding="UTF-8"?>\n${xml}` });

/** Secrets of the template, each with a value generated at "deploy" time (GenerateSecretString: printable, no punctuation). */
export class SecretsManagerStandIn {
  private readonly secrets = new Map<string, { arn: string; name: string; value: string; versionId: string; createdAt: Date }>();
  readonly reads: { arn: string; stage: string }[] = [];

  constructor(secrets: { name: string; arn: string }[]) {
    for (const s of secrets) this.secrets.set(s.arn, { ...s, value: randomBytes(48).toString('base64url').replace(/[-_]/g, 'x').slice(0, 64), versionId: randomUUID(), createdAt: new Date() });
  }

  private find(id: string) {
    return this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.name === id);
  }

  /** A secret the operator creates outside the template (`aws secretsmanager create-secret`, or put-secret-value when it exists). */
  put(name: string, value: string, env: { partition: string; region: string; account: string }): void {
    const existing = this.find(name);
    if (existing) {
      Object.assign(existing, { value, versionId: randomUUID(), createdAt: new Date() });
      return;
    }
    const arn = `arn:${env.partition}:secretsmanager:${env.region}:${env.account}:secret:${name}-${randomBytes(3).toString('hex')}`;
    this.secrets.set(arn, { arn, name, value, versionId: randomUUID(), createdAt: new Date() });
  }

  handle(target: string, body: Buffer): StandInResponse {
    const input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, any>) : {};
    const error = (type: string, message: string) => ({ status: 400, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type }, body: JSON.stringify({ __type: type, message }) });
    const secret = this.find(String(input.SecretId ?? ''));
    if (!secret) return error('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const ok = (value: unknown) => ({ status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(value) });
    if (target === 'DescribeSecret') return ok({ ARN: secret.arn, Name: secret.name, VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] } });
    if (target !== 'GetSecretValue') return error('InvalidRequestException', `the assembly runner's Secrets Manager supports GetSecretValue and DescribeSecret only (got ${target})`);
    const stage = String(input.VersionStage ?? 'AWSCURRENT');
    this.reads.push({ arn: secret.arn, stage });
    // Never rotated here: only the current version exists.
    if (stage !== 'AWSCURRENT') return error('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
    return ok({ ARN: secret.arn, Name: secret.name, VersionId: secret.versionId, SecretString: secret.value, VersionStages: ['AWSCURRENT'], CreatedDate: secret.createdAt.getTime() / 1000 });
  }
}
