/**
 * IAM policy evaluation for the calls the runner observes (pure: no I/O). It implements the parts of the
 * policy language the stack can produce and fails loudly on anything else, so an unsupported construct
 * can never be read as "allowed": Effect, Action/NotAction and Resource/NotResource with `*` and `?`
 * wildcards (actions case-insensitive, ARNs matched per colon-separated part as IAM does), Principal for
 * resource and trust policies, and the condition operators below (with `IfExists`, `ForAnyValue:`,
 * `ForAllValues:`). Evaluation order as documented by IAM: an explicit Deny wins, then any Allow, else
 * the implicit deny.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: '*' | Record<string, string | string[]>;
  NotPrincipal?: '*' | Record<string, string | string[]>;
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** A statement with where it came from (for reports: "ApiControlRoleDefaultPolicy#4"). */
export interface SourcedStatement {
  id: string;
  /** Logical id of the policy (or role, bucket policy, Lambda permission) in the template. */
  policy: string;
  index: number;
  statement: PolicyStatement;
}

export interface Principal {
  kind: 'AWS' | 'Service';
  /** Role ARN (AWS) or service principal (`lambda.amazonaws.com`). */
  id: string;
  account?: string;
}

export interface AccessRequest {
  action: string;
  resource: string;
  principal?: Principal;
  /** Condition context keys (lowercase names compare case-insensitively, as IAM does). */
  context?: Record<string, string | string[] | undefined>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface Evaluation {
  decision: Decision;
  /** Allow statements that matched (all of them: used to tell which statements scenarios exercise). */
  allowedBy: SourcedStatement[];
  deniedBy: SourcedStatement[];
}

/** A construct the evaluator does not implement: the call is treated as failing, never as allowed. */
export class UnsupportedPolicyError extends Error {
  override name = 'UnsupportedPolicyError';
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function statementsOf(policy: string, document: PolicyDocument | undefined): SourcedStatement[] {
  return list(document?.Statement).map((statement, index) => ({ id: `${policy}#${index}`, policy, index, statement }));
}

/** Glob with IAM's `*` (any run of characters) and `?` (one character). */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

export const actionMatches = (pattern: string, action: string) => globMatch(pattern, action, true);

/**
 * ARN match as IAM does it for Resource and ArnLike: `*` alone matches anything; otherwise the six
 * colon-separated parts are compared one by one (wildcards do not cross the first five colons; the
 * resource part keeps its own colons and slashes).
 */
export function arnMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const p = splitArn(pattern);
  const a = splitArn(arn);
  if (!p || !a) return globMatch(pattern, arn);
  return p.every((part, i) => globMatch(part, a[i]!));
}

function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function principalMatches(spec: PolicyStatement['Principal'], principal: Principal | undefined): boolean {
  if (spec === undefined) return true; // identity policies have no Principal
  // `*` (or `{"AWS": "*"}`) is everyone, anonymous callers included.
  if (spec === '*' || (typeof spec === 'object' && list(spec.AWS).includes('*'))) return true;
  if (!principal) return false;
  for (const [kind, values] of Object.entries(spec)) {
    for (const v of list(values)) {
      if (kind === 'AWS' && principal.kind === 'AWS') {
        if (v === '*' || v === principal.id) return true;
        // An account principal (`arn:aws:iam::123:root` or the bare id) covers every role of the account.
        const account = /^(?:arn:[^:]+:iam::)?(\d{12})(?::root)?$/.exec(v)?.[1];
        if (account && account === principal.account) return true;
      }
      if (kind === 'Service' && principal.kind === 'Service' && v === principal.id) return true;
      if (kind !== 'AWS' && kind !== 'Service') throw new UnsupportedPolicyError(`principal type ${kind} is not supported`);
    }
  }
  return false;
}

function statementApplies(s: PolicyStatement, req: AccessRequest): boolean {
  if (s.NotPrincipal !== undefined) throw new UnsupportedPolicyError('NotPrincipal is not supported');
  if (!principalMatches(s.Principal, req.principal)) return false;
  const actionOk = s.Action !== undefined ? list(s.Action).some((a) => actionMatches(a, req.action)) : !list(s.NotAction).some((a) => actionMatches(a, req.action));
  if (!actionOk) return false;
  // Trust policies have neither Resource nor NotResource: they apply to the role they belong to.
  const resourceOk =
    s.Resource !== undefined ? list(s.Resource).some((r) => arnMatches(r, req.resource)) : s.NotResource !== undefined ? !list(s.NotResource).some((r) => arnMatches(r, req.resource)) : true;
  if (!resourceOk) return false;
  return conditionsHold(s.Condition, req.context ?? {});
}

/** Evaluates statements (identity, resource or trust policy) for one request. */
export function evaluate(statements: readonly SourcedStatement[], req: AccessRequest): Evaluation {
  const allowedBy: SourcedStatement[] = [];
  const deniedBy: SourcedStatement[] = [];
  for (const s of statements) {
    if (!statementApplies(s.statement, req)) continue;
    (s.statement.Effect === 'Deny' ? deniedBy : allowedBy).push(s);
  }
  const decision: Decision = deniedBy.length ? 'explicit-deny' : allowedBy.length ? 'allow' : 'implicit-deny';
  return { decision, allowedBy, deniedBy };
}

/**
 * Same-account access: allowed when the identity policies or the resource policy allow it and neither
 * denies it explicitly (no permissions boundary or SCP is modelled: the stack creates none).
 */
export function evaluateSameAccount(identity: readonly SourcedStatement[], resourcePolicy: readonly SourcedStatement[], req: AccessRequest): Evaluation {
  const a = evaluate(identity, req);
  const b = evaluate(resourcePolicy, req);
  const deniedBy = [...a.deniedBy, ...b.deniedBy];
  const allowedBy = [...a.allowedBy, ...b.allowedBy];
  return { decision: deniedBy.length ? 'explicit-deny' : allowedBy.length ? 'allow' : 'implicit-deny', allowedBy, deniedBy };
}

type Comparator = (actual: string, expected: string) => boolean;

const STRING_OPS: Record<string, Comparator> = {
  StringEquals: (a, e) => a === e,
  StringNotEquals: (a, e) => a !== e,
  StringEqualsIgnoreCase: (a, e) => a.toLowerCase() === e.toLowerCase(),
  StringNotEqualsIgnoreCase: (a, e) => a.toLowerCase() !== e.toLowerCase(),
  StringLike: (a, e) => globMatch(e, a),
  StringNotLike: (a, e) => !globMatch(e, a),
  ArnEquals: (a, e) => a === e,
  ArnNotEquals: (a, e) => a !== e,
  ArnLike: (a, e) => arnMatches(e, a),
  ArnNotLike: (a, e) => !arnMatches(e, a),
  Bool: (a, e) => a.toLowerCase() === String(e).toLowerCase(),
  NumericEquals: (a, e) => Number(a) === Number(e),
  NumericNotEquals: (a, e) => Number(a) !== Number(e),
  NumericLessThan: (a, e) => Number(a) < Number(e),
  NumericLessThanEquals: (a, e) => Number(a) <= Number(e),
  NumericGreaterThan: (a, e) => Number(a) > Number(e),
  NumericGreaterThanEquals: (a, e) => Number(a) >= Number(e),
};
/** Negated operators: for them every expected value must differ (a missing key satisfies them). */
const NEGATED = new Set(['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike', 'ArnNotEquals', 'ArnNotLike', 'NumericNotEquals']);

export function conditionsHold(condition: PolicyStatement['Condition'], context: Record<string, string | string[] | undefined>): boolean {
  if (!condition) return true;
  const lookup = (key: string) => {
    const found = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase());
    return found?.[1] === undefined ? undefined : list(found[1]);
  };
  for (const [rawOperator, keys] of Object.entries(condition)) {
    const [, setOp, base, ifExists] = /^(?:(ForAnyValue|ForAllValues):)?(\w+?)(IfExists)?$/.exec(rawOperator) ?? [];
    for (const [key, expectedRaw] of Object.entries(keys)) {
      const expected = list(expectedRaw as string | string[]).map(String);
      const actual = lookup(key);
      if (base === 'Null') {
        const wantsMissing = expected[0]!.toLowerCase() === 'true';
        if (wantsMissing !== (actual === undefined)) return false;
        continue;
      }
      const compare = base ? STRING_OPS[base] : undefined;
      if (!compare) throw new UnsupportedPolicyError(`condition operator ${rawOperator} is not supported`);
      if (actual === undefined) {
        if (ifExists || NEGATED.has(base!) || setOp === 'ForAllValues') continue;
        return false;
      }
      const valueHolds = (a: string) => (NEGATED.has(base!) ? expected.every((e) => compare(a, e)) : expected.some((e) => compare(a, e)));
      const holds = setOp === 'ForAllValues' ? actual.every(valueHolds) : actual.some(valueHolds);
      if (!holds) return false;
    }
  }
  return true;
}
