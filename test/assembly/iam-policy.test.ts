import { describe, expect, it } from 'vitest';
import { arnMatches, conditionsHold, evaluate, evaluateSameAccount, statementsOf, UnsupportedPolicyError, type PolicyStatement } from '../../tools/assembly/iam-policy.js';

const role = { kind: 'AWS' as const, id: 'arn:aws:iam::000000000000:role/fn', account: '000000000000' };
const allow = (s: Omit<PolicyStatement, 'Effect'>) => statementsOf('P', { Statement: [{ Effect: 'Allow', ...s }] });

describe('IAM policy evaluation (tools/assembly/iam-policy.ts)', () => {
  it('matches actions case-insensitively with * and ? wildcards', () => {
    const s = allow({ Action: ['s3:Get*', 'dynamodb:?utItem'], Resource: '*' });
    expect(evaluate(s, { action: 's3:getobject', resource: 'arn:aws:s3:::b/k' }).decision).toBe('allow');
    expect(evaluate(s, { action: 'dynamodb:PutItem', resource: 'x' }).decision).toBe('allow');
    expect(evaluate(s, { action: 's3:PutObject', resource: 'arn:aws:s3:::b/k' }).decision).toBe('implicit-deny');
    expect(evaluate(s, { action: 'dynamodb:UpdateItem', resource: 'x' }).decision).toBe('implicit-deny');
  });

  it('matches ARNs part by part: wildcards stay inside their part, the resource part spans slashes and colons', () => {
    expect(arnMatches('arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket/a/b/c.sql')).toBe(true);
    expect(arnMatches('arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket2/a')).toBe(false);
    expect(arnMatches('arn:aws:dynamodb:us-east-1:1:table/t/index/*', 'arn:aws:dynamodb:us-east-1:1:table/t/index/gsi1')).toBe(true);
    expect(arnMatches('arn:aws:dynamodb:us-east-1:1:table/t/index/*', 'arn:aws:dynamodb:us-east-1:1:table/t')).toBe(false);
    expect(arnMatches('arn:aws:states:us-east-1:1:execution:m-option1:*', 'arn:aws:states:us-east-1:1:execution:m-option1:run-1-w1-a1')).toBe(true);
    expect(arnMatches('arn:aws:states:us-east-1:1:execution:m-option1:*', 'arn:aws:states:us-east-1:1:execution:m-option2:run-1')).toBe(false);
    // `*` in the region part does not swallow the account part.
    expect(arnMatches('arn:aws:lambda:*:function:f', 'arn:aws:lambda:us-east-1:1:function:f')).toBe(false);
    expect(arnMatches('arn:aws:lambda:*:*:function:f', 'arn:aws:lambda:us-east-1:1:function:f')).toBe(true);
    expect(arnMatches('*', 'anything')).toBe(true);
  });

  it('lets an explicit deny win over an allow, and reports which statements decided', () => {
    const statements = statementsOf('Bucket', {
      Statement: [
        { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' },
        { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: 'arn:aws:s3:::b/*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      ],
    });
    const overTls = evaluate(statements, { action: 's3:PutObject', resource: 'arn:aws:s3:::b/k', principal: role, context: { 'aws:SecureTransport': 'true' } });
    expect(overTls).toMatchObject({ decision: 'allow', deniedBy: [] });
    expect(overTls.allowedBy.map((s) => s.id)).toEqual(['Bucket#0']);
    const plain = evaluate(statements, { action: 's3:PutObject', resource: 'arn:aws:s3:::b/k', principal: role, context: { 'aws:SecureTransport': 'false' } });
    expect(plain.decision).toBe('explicit-deny');
    expect(plain.deniedBy.map((s) => s.id)).toEqual(['Bucket#1']);
  });

  it('same account: identity or resource policy may allow; a deny in either wins', () => {
    const identity = allow({ Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:r:1:function:f' });
    const resource = statementsOf('Perm', { Statement: [{ Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:r:1:function:f' }] });
    expect(evaluateSameAccount(identity, [], { action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:r:1:function:f', principal: role }).decision).toBe('allow');
    expect(evaluateSameAccount([], resource, { action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:r:1:function:f', principal: { kind: 'Service', id: 'apigateway.amazonaws.com' } }).decision).toBe('allow');
    expect(evaluateSameAccount([], resource, { action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:r:1:function:f', principal: { kind: 'Service', id: 'events.amazonaws.com' } }).decision).toBe('implicit-deny');
  });

  it('handles NotAction and NotResource', () => {
    const s = allow({ NotAction: 'iam:*', NotResource: 'arn:aws:s3:::secret/*' });
    expect(evaluate(s, { action: 's3:GetObject', resource: 'arn:aws:s3:::open/k' }).decision).toBe('allow');
    expect(evaluate(s, { action: 'iam:PassRole', resource: 'arn:aws:iam::1:role/r' }).decision).toBe('implicit-deny');
    expect(evaluate(s, { action: 's3:GetObject', resource: 'arn:aws:s3:::secret/k' }).decision).toBe('implicit-deny');
  });

  it('"*" as principal includes anonymous callers (public Function URLs)', () => {
    const s = statementsOf('Url', { Statement: [{ Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunctionUrl', Resource: 'arn:f', Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } } }] });
    expect(evaluate(s, { action: 'lambda:InvokeFunctionUrl', resource: 'arn:f', context: { 'lambda:FunctionUrlAuthType': 'NONE' } }).decision).toBe('allow');
    expect(evaluate(s, { action: 'lambda:InvokeFunctionUrl', resource: 'arn:f', context: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } }).decision).toBe('implicit-deny');
  });

  it('evaluates the condition operators the stack uses, with IfExists, set operators and missing keys', () => {
    expect(conditionsHold({ StringEquals: { 'aws:SourceAccount': '1' } }, { 'aws:sourceaccount': '1' })).toBe(true);
    expect(conditionsHold({ StringEquals: { 'aws:SourceAccount': '1' } }, {})).toBe(false);
    expect(conditionsHold({ StringEqualsIfExists: { 'aws:SourceAccount': '1' } }, {})).toBe(true);
    expect(conditionsHold({ StringNotEquals: { 'aws:SourceAccount': '1' } }, {})).toBe(true);
    expect(conditionsHold({ StringNotEquals: { 'aws:SourceAccount': ['1', '2'] } }, { 'aws:SourceAccount': '2' })).toBe(false);
    expect(conditionsHold({ StringLike: { 's3:prefix': ['integration-client/*'] } }, { 's3:prefix': 'integration-client/a/' })).toBe(true);
    expect(conditionsHold({ ArnLike: { 'aws:SourceArn': 'arn:aws:states:r:1:stateMachine:*' } }, { 'aws:SourceArn': 'arn:aws:states:r:1:stateMachine:m' })).toBe(true);
    expect(conditionsHold({ ArnLike: { 'aws:SourceArn': 'arn:aws:execute-api:r:1:api/*/*/health' } }, { 'aws:SourceArn': 'arn:aws:execute-api:r:1:api/$default/GET/health' })).toBe(true);
    expect(conditionsHold({ ArnLike: { 'aws:SourceArn': 'arn:aws:execute-api:r:1:api/*/*/health' } }, { 'aws:SourceArn': 'arn:aws:execute-api:r:1:api/$default/GET/v1/runs' })).toBe(false);
    expect(conditionsHold({ NumericLessThan: { 's3:TlsVersion': 1.2 } }, { 's3:TlsVersion': '1.3' })).toBe(false);
    expect(conditionsHold({ Null: { 'aws:TokenIssueTime': 'true' } }, {})).toBe(true);
    expect(conditionsHold({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a', 'b'] } }, { 'aws:TagKeys': ['c', 'b'] })).toBe(true);
    expect(conditionsHold({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] } }, { 'aws:TagKeys': ['c', 'b'] })).toBe(false);
  });

  it('refuses what it does not implement instead of allowing it', () => {
    expect(() => conditionsHold({ DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } }, {})).toThrow(UnsupportedPolicyError);
    const s = statementsOf('P', { Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: 'x' }, Action: '*', Resource: '*' }] });
    expect(() => evaluate(s, { action: 's3:GetObject', resource: 'x', principal: role })).toThrow(/NotPrincipal/);
  });
});
