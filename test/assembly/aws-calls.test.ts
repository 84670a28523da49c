import { describe, expect, it } from 'vitest';
import { describeCall, signatureOf, type SignedRequest } from '../../tools/assembly/aws-calls.js';
import { decodeAwsChunked } from '../../tools/assembly/aws-endpoint.js';

const auth = (service: string, key = 'ASIAFUNCTION00001') => ({ authorization: `AWS4-HMAC-SHA256 Credential=${key}/20261201/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc` });
const req = (service: string, method: string, url: string, extra: { target?: string; body?: unknown; headers?: Record<string, string> } = {}): SignedRequest => ({
  method,
  url,
  headers: { ...auth(service), ...(extra.target ? { 'x-amz-target': extra.target } : {}), ...extra.headers },
  body: Buffer.from(typeof extra.body === 'string' ? extra.body : extra.body === undefined ? '' : JSON.stringify(extra.body)),
});
const permissions = (r: SignedRequest) => describeCall(r, signatureOf(r)!, '000000000000').permissions;

describe('signed request → IAM actions and resources (tools/assembly/aws-calls.ts)', () => {
  it('reads the caller and service from the SigV4 scope (header or presigned query); unsigned is undefined', () => {
    expect(signatureOf(req('dynamodb', 'POST', '/'))).toEqual({ accessKeyId: 'ASIAFUNCTION00001', date: '20261201', region: 'us-east-1', service: 'dynamodb' });
    const presigned: SignedRequest = { method: 'GET', url: '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAX%2F20261201%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=x', headers: {}, body: Buffer.alloc(0) };
    expect(signatureOf(presigned)).toMatchObject({ accessKeyId: 'AKIAX', region: 'eu-west-1', service: 's3' });
    expect(signatureOf({ method: 'GET', url: '/', headers: {}, body: Buffer.alloc(0) })).toBeUndefined();
  });

  it('DynamoDB: table or index ARN per operation, one per table for batches, per item for transactions', () => {
    const table = 'arn:aws:dynamodb:us-east-1:000000000000:table';
    expect(permissions(req('dynamodb', 'POST', '/', { target: 'DynamoDB_20120810.GetItem', body: { TableName: 'apps' } }))).toEqual([{ action: 'dynamodb:GetItem', resource: `${table}/apps` }]);
    expect(permissions(req('dynamodb', 'POST', '/', { target: 'DynamoDB_20120810.Query', body: { TableName: 'apps', IndexName: 'gsi1' } }))).toEqual([{ action: 'dynamodb:Query', resource: `${table}/apps/index/gsi1` }]);
    expect(permissions(req('dynamodb', 'POST', '/', { target: 'DynamoDB_20120810.BatchWriteItem', body: { RequestItems: { a: [], b: [] } } })).map((p) => p.resource)).toEqual([`${table}/a`, `${table}/b`]);
    expect(permissions(req('dynamodb', 'POST', '/', { target: 'DynamoDB_20120810.TransactWriteItems', body: { TransactItems: [{ Put: { TableName: 'a' } }, { ConditionCheck: { TableName: 'b' } }] } }))).toEqual([
      { action: 'dynamodb:PutItem', resource: `${table}/a` },
      { action: 'dynamodb:ConditionCheckItem', resource: `${table}/b` },
    ]);
    expect(permissions(req('dynamodb', 'POST', '/', { target: 'DynamoDB_20120810.ListTables', body: {} }))).toEqual([{ action: 'dynamodb:ListTables', resource: '*' }]);
  });

  it('Step Functions: state machine or execution ARN from the body', () => {
    expect(permissions(req('states', 'POST', '/', { target: 'AWSStepFunctions.StartExecution', body: { stateMachineArn: 'arn:sm' } }))).toEqual([{ action: 'states:StartExecution', resource: 'arn:sm' }]);
    expect(permissions(req('states', 'POST', '/', { target: 'AWSStepFunctions.DescribeExecution', body: { executionArn: 'arn:ex' } }))).toEqual([{ action: 'states:DescribeExecution', resource: 'arn:ex' }]);
  });

  it('S3 (path-style): object and bucket actions as IAM names them, including multipart steps and batch deletes', () => {
    const p = (method: string, url: string, extra?: Parameters<typeof req>[3]) => permissions(req('s3', method, url, extra));
    expect(p('PUT', '/b/a/k.sql?x-id=PutObject')).toEqual([{ action: 's3:PutObject', resource: 'arn:aws:s3:::b/a/k.sql' }]);
    expect(p('HEAD', '/b/a%20b')).toEqual([{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/a b' }]);
    expect(p('GET', '/b/k?versionId=3')).toEqual([{ action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::b/k' }]);
    expect(p('POST', '/b/k?uploads')[0]!.action).toBe('s3:PutObject');
    expect(p('PUT', '/b/k?partNumber=1&uploadId=u')[0]!.action).toBe('s3:PutObject');
    expect(p('DELETE', '/b/k?uploadId=u')[0]!.action).toBe('s3:AbortMultipartUpload');
    expect(p('GET', '/b?list-type=2&prefix=integration-client%2F')).toEqual([{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: { 's3:prefix': 'integration-client/' } }]);
    expect(p('POST', '/b?delete', { body: '<Delete><Object><Key>x/1</Key></Object><Object><Key>a&amp;b</Key></Object></Delete>' })).toEqual([
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/x/1' },
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/a&b' },
    ]);
    expect(p('PUT', '/b/new', { headers: { 'x-amz-copy-source': '/src/old%20key' } })).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/new' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::src/old key' },
    ]);
    expect(p('GET', '/')).toEqual([{ action: 's3:ListAllMyBuckets', resource: '*' }]);
  });

  it('EventBridge Scheduler: the schedule ARN in its group, and iam:PassRole for the role a schedule carries', () => {
    const create = permissions(req('scheduler', 'POST', '/schedules/upgrade-cp-run-1-w1', { body: { GroupName: 'g', Target: { Arn: 'arn:fn', RoleArn: 'arn:aws:iam::000000000000:role/sched' } } }));
    expect(create).toEqual([
      { action: 'scheduler:CreateSchedule', resource: 'arn:aws:scheduler:us-east-1:000000000000:schedule/g/upgrade-cp-run-1-w1' },
      { action: 'iam:PassRole', resource: 'arn:aws:iam::000000000000:role/sched', context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    ]);
    expect(permissions(req('scheduler', 'DELETE', '/schedules/s?groupName=g&clientToken=t'))).toEqual([{ action: 'scheduler:DeleteSchedule', resource: 'arn:aws:scheduler:us-east-1:000000000000:schedule/g/s' }]);
    expect(permissions(req('scheduler', 'GET', '/schedules/s'))[0]!.resource).toMatch(/schedule\/default\/s$/);
  });

  it('Route 53: the hosted zone for record changes, the change for GetChange', () => {
    expect(permissions(req('route53', 'POST', '/2013-04-01/hostedzone/Z123/rrset/'))).toEqual([{ action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z123' }]);
    expect(permissions(req('route53', 'GET', '/2013-04-01/change/C1'))).toEqual([{ action: 'route53:GetChange', resource: 'arn:aws:route53:::change/C1' }]);
  });

  it('an unknown service yields no permissions (the endpoint reports it as unemulated)', () => {
    expect(describeCall(req('kms', 'POST', '/'), signatureOf(req('kms', 'POST', '/'))!, '1')).toEqual({ service: 'kms', operation: 'unknown', permissions: [] });
  });

  it('Secrets Manager: GetSecretValue and DescribeSecret on the secret, by ARN or by name', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:upgrade-cp-prod-cursor-key-AbCdEf';
    expect(permissions(req('secretsmanager', 'POST', '/', { target: 'secretsmanager.GetSecretValue', body: { SecretId: arn, VersionStage: 'AWSPREVIOUS' } }))).toEqual([{ action: 'secretsmanager:GetSecretValue', resource: arn }]);
    expect(permissions(req('secretsmanager', 'POST', '/', { target: 'secretsmanager.DescribeSecret', body: { SecretId: 'upgrade-cp-prod-cursor-key' } }))).toEqual([
      { action: 'secretsmanager:DescribeSecret', resource: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:upgrade-cp-prod-cursor-key' },
    ]);
    expect(permissions(req('secretsmanager', 'POST', '/', { target: 'secretsmanager.PutSecretValue', body: { SecretId: arn } }))).toEqual([]);
  });

  it('decodes aws-chunked bodies (streaming SigV4 with a trailing checksum)', () => {
    const body = Buffer.from('5;chunk-signature=ab\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n');
    expect(decodeAwsChunked(body).toString()).toBe('hello world');
  });
});
