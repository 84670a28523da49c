/**
 * Turns one signed AWS API request into the IAM actions and resource ARNs it needs (pure). Covers the
 * services the control plane calls: DynamoDB and Step Functions (AWS JSON, `X-Amz-Target`), S3 (REST,
 * path-style), EventBridge Scheduler (REST JSON) and Route 53 (REST XML). Any other service is reported
 * as such; the caller decides what to do with it.
 */

export interface SignedRequest {
  method: string;
  /** Path and query as received (`/bucket/key?uploads`). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface Signature {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

export interface RequiredPermission {
  action: string;
  resource: string;
  /** Request-specific condition keys (e.g. `s3:prefix`, `iam:PassedToService`). */
  context?: Record<string, string>;
}

export interface ApiCall {
  service: string;
  /** The API operation (`PutItem`, `PutObject`, `CreateSchedule`). */
  operation: string;
  permissions: RequiredPermission[];
}

const header = (req: SignedRequest, name: string) => {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** The SigV4 credential scope of a request (Authorization header or presigned query); undefined if unsigned. */
export function signatureOf(req: SignedRequest): Signature | undefined {
  const auth = header(req, 'authorization');
  const scope = auth ? /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth) : /[?&]X-Amz-Credential=([^&]+)/.exec(req.url)?.[1];
  if (!scope) return undefined;
  const parts = typeof scope === 'string' ? /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(decodeURIComponent(scope)) : scope;
  if (!parts) return undefined;
  return { accessKeyId: parts[1]!, date: parts[2]!, region: parts[3]!, service: parts[4]! };
}

export function describeCall(req: SignedRequest, sig: Signature, account: string, partition = 'aws'): ApiCall {
  switch (sig.service) {
    case 'dynamodb':
      return dynamodbCall(req, sig, account, partition);
    case 'states':
      return statesCall(req);
    case 's3':
      return s3Call(req, partition);
    case 'scheduler':
      return schedulerCall(req, sig, account, partition);
    case 'route53':
      return route53Call(req, partition);
    case 'secretsmanager':
      return secretsManagerCall(req, sig, account, partition);
    default:
      return { service: sig.service, operation: 'unknown', permissions: [] };
  }
}

const json = (req: SignedRequest): Record<string, any> => {
  try {
    return req.body.length ? (JSON.parse(req.body.toString('utf8')) as Record<string, any>) : {};
  } catch {
    return {};
  }
};
const target = (req: SignedRequest) => (header(req, 'x-amz-target') ?? '').split('.').pop() ?? '';

function dynamodbCall(req: SignedRequest, sig: Signature, account: string, partition: string): ApiCall {
  const operation = target(req);
  const body = json(req);
  const table = (name: string, index?: string) => `arn:${partition}:dynamodb:${sig.region}:${account}:table/${name}${index ? `/index/${index}` : ''}`;
  const action = `dynamodb:${operation}`;
  if (operation === 'ListTables') return { service: 'dynamodb', operation, permissions: [{ action, resource: '*' }] };
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    return { service: 'dynamodb', operation, permissions: Object.keys(body.RequestItems ?? {}).map((t) => ({ action, resource: table(t) })) };
  }
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    // Transactions are authorized per item with the item's own action.
    const byKind: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };
    const permissions = (body.TransactItems ?? []).flatMap((item: Record<string, { TableName: string }>) =>
      Object.entries(item).map(([kind, v]) => ({ action: `dynamodb:${byKind[kind] ?? kind}`, resource: table(v.TableName) })),
    );
    return { service: 'dynamodb', operation, permissions };
  }
  return { service: 'dynamodb', operation, permissions: [{ action, resource: table(String(body.TableName ?? '*'), body.IndexName) }] };
}

function statesCall(req: SignedRequest): ApiCall {
  const operation = target(req);
  const body = json(req);
  const resource = body.executionArn ?? body.stateMachineArn ?? body.activityArn ?? '*';
  return { service: 'states', operation, permissions: [{ action: `states:${operation}`, resource: String(resource) }] };
}

function s3Call(req: SignedRequest, partition: string): ApiCall {
  const url = new URL(req.url, 'http://s3.local');
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = rest.map(decodeURIComponent).join('/');
  const q = url.searchParams;
  const m = req.method.toUpperCase();
  const bucketArn = `arn:${partition}:s3:::${decodeURIComponent(bucket)}`;
  const objectArn = `${bucketArn}/${key}`;
  const one = (operation: string, action: string, resource: string, context?: Record<string, string>): ApiCall => ({ service: 's3', operation, permissions: [{ action: `s3:${action}`, resource, context }] });
  if (!bucket) return one('ListBuckets', 'ListAllMyBuckets', '*');
  if (!key) {
    if (m === 'GET' && q.has('versions')) return one('ListObjectVersions', 'ListBucketVersions', bucketArn);
    if (m === 'GET' && q.has('uploads')) return one('ListMultipartUploads', 'ListBucketMultipartUploads', bucketArn);
    if (m === 'GET' && q.has('location')) return one('GetBucketLocation', 'GetBucketLocation', bucketArn);
    if (m === 'GET' && q.has('versioning')) return one('GetBucketVersioning', 'GetBucketVersioning', bucketArn);
    if (m === 'GET' || m === 'HEAD') return one(m === 'HEAD' ? 'HeadBucket' : 'ListObjectsV2', 'ListBucket', bucketArn, q.has('prefix') ? { 's3:prefix': q.get('prefix')! } : undefined);
    if (m === 'PUT') return one('CreateBucket', 'CreateBucket', bucketArn);
    if (m === 'DELETE') return one('DeleteBucket', 'DeleteBucket', bucketArn);
    if (m === 'POST' && q.has('delete')) {
      const keys = [...req.body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((k) => unescapeXml(k[1]!));
      return { service: 's3', operation: 'DeleteObjects', permissions: keys.map((k) => ({ action: 's3:DeleteObject', resource: `${bucketArn}/${k}` })) };
    }
    return one('BucketSubresource', `${m}Bucket`, bucketArn);
  }
  const versioned = q.has('versionId');
  if (m === 'GET' && q.has('uploadId')) return one('ListParts', 'ListMultipartUploadParts', objectArn);
  if (m === 'GET' && q.has('tagging')) return one('GetObjectTagging', versioned ? 'GetObjectVersionTagging' : 'GetObjectTagging', objectArn);
  if (m === 'GET' && q.has('attributes')) return one('GetObjectAttributes', versioned ? 'GetObjectVersionAttributes' : 'GetObjectAttributes', objectArn);
  if (m === 'GET' || m === 'HEAD') return one(m === 'HEAD' ? 'HeadObject' : 'GetObject', versioned ? 'GetObjectVersion' : 'GetObject', objectArn);
  if (m === 'PUT' && q.has('tagging')) return one('PutObjectTagging', 'PutObjectTagging', objectArn);
  if (m === 'PUT' && q.has('partNumber')) return one('UploadPart', 'PutObject', objectArn);
  if (m === 'PUT') {
    const source = header(req, 'x-amz-copy-source');
    if (!source) return one('PutObject', 'PutObject', objectArn);
    const from = decodeURIComponent(source.replace(/^\//, '').split('?')[0]!);
    return { service: 's3', operation: 'CopyObject', permissions: [{ action: 's3:PutObject', resource: objectArn }, { action: 's3:GetObject', resource: `arn:${partition}:s3:::${from}` }] };
  }
  if (m === 'POST' && q.has('uploads')) return one('CreateMultipartUpload', 'PutObject', objectArn);
  if (m === 'POST' && q.has('uploadId')) return one('CompleteMultipartUpload', 'PutObject', objectArn);
  if (m === 'DELETE' && q.has('uploadId')) return one('AbortMultipartUpload', 'AbortMultipartUpload', objectArn);
  if (m === 'DELETE') return one('DeleteObject', versioned ? 'DeleteObjectVersion' : 'DeleteObject', objectArn);
  return one('ObjectRequest', `${m}Object`, objectArn);
}

function schedulerCall(req: SignedRequest, sig: Signature, account: string, partition: string): ApiCall {
  const url = new URL(req.url, 'http://scheduler.local');
  const m = req.method.toUpperCase();
  const [, kind, rawName] = url.pathname.split('/');
  const name = rawName ? decodeURIComponent(rawName) : undefined;
  const body = json(req);
  const base = `arn:${partition}:scheduler:${sig.region}:${account}`;
  if (kind === 'schedule-groups') {
    const operation = { POST: 'CreateScheduleGroup', GET: name ? 'GetScheduleGroup' : 'ListScheduleGroups', DELETE: 'DeleteScheduleGroup' }[m] ?? 'ScheduleGroupRequest';
    return { service: 'scheduler', operation, permissions: [{ action: `scheduler:${operation}`, resource: name ? `${base}:schedule-group/${name}` : '*' }] };
  }
  if (!name) return { service: 'scheduler', operation: 'ListSchedules', permissions: [{ action: 'scheduler:ListSchedules', resource: '*' }] };
  const group = body.GroupName ?? url.searchParams.get('groupName') ?? 'default';
  const operation = { POST: 'CreateSchedule', PUT: 'UpdateSchedule', GET: 'GetSchedule', DELETE: 'DeleteSchedule' }[m] ?? 'ScheduleRequest';
  const permissions: RequiredPermission[] = [{ action: `scheduler:${operation}`, resource: `${base}:schedule/${group}/${name}` }];
  // Creating or updating a schedule passes its execution role to the service.
  if ((operation === 'CreateSchedule' || operation === 'UpdateSchedule') && body.Target?.RoleArn) {
    permissions.push({ action: 'iam:PassRole', resource: String(body.Target.RoleArn), context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  }
  return { service: 'scheduler', operation, permissions };
}

function route53Call(req: SignedRequest, partition: string): ApiCall {
  const path = new URL(req.url, 'http://route53.local').pathname;
  const m = req.method.toUpperCase();
  const zone = /\/hostedzone\/([^/]+)(\/rrset)?/.exec(path);
  if (zone && zone[2]) {
    const operation = m === 'POST' ? 'ChangeResourceRecordSets' : 'ListResourceRecordSets';
    return { service: 'route53', operation, permissions: [{ action: `route53:${operation}`, resource: `arn:${partition}:route53:::hostedzone/${zone[1]}` }] };
  }
  const change = /\/change\/([^/]+)/.exec(path);
  if (change) return { service: 'route53', operation: 'GetChange', permissions: [{ action: 'route53:GetChange', resource: `arn:${partition}:route53:::change/${change[1]}` }] };
  if (zone) return { service: 'route53', operation: 'GetHostedZone', permissions: [{ action: 'route53:GetHostedZone', resource: `arn:${partition}:route53:::hostedzone/${zone[1]}` }] };
  return { service: 'route53', operation: 'unknown', permissions: [] };
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** Secrets Manager (AWS JSON 1.1): the secret is named by ARN or by name; IAM matches the ARN. */
function secretsManagerCall(req: SignedRequest, sig: Signature, account: string, partition: string): ApiCall {
  const operation = target(req);
  const id = String(json(req).SecretId ?? '');
  const resource = id.startsWith('arn:') ? id : `arn:${partition}:secretsmanager:${sig.region}:${account}:secret:${id}`;
  const actions: Record<string, string> = { GetSecretValue: 'secretsmanager:GetSecretValue', DescribeSecret: 'secretsmanager:DescribeSecret' };
  const action = actions[operation];
  return { service: 'secretsmanager', operation, permissions: action ? [{ action, resource }] : [] };
}
