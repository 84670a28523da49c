import type { RequiredPermission } from './aws-calls.js';
import type { Deployment, RoleSpec } from './deployment.js';
import { evaluateSameAccount, UnsupportedPolicyError, type Decision, type Principal, type SourcedStatement } from './iam-policy.js';

/** One authorization the runner checked: who asked for what, and what the template's policies answered. */
export interface Observation {
  /** Function name, `state machine <name>`, `schedule <name>`, `API Gateway`, `Function URL client`. */
  caller: string;
  /** `sdk`: an SDK call the code made; `platform`: what Lambda/Step Functions do on the caller's behalf (logs, traces); `service`: a service invoking a function or assuming a role. */
  via: 'sdk' | 'platform' | 'service';
  operation: string;
  action: string;
  resource: string;
  decision: Decision | 'unsupported';
  allowedBy: string[];
  deniedBy: string[];
  detail?: string;
}

export interface UnusedStatement {
  owner: string;
  statement: string;
  actions: string[];
  resources: string[];
  /** For a resource policy statement, who it lets in (`apigateway.amazonaws.com for …/GET/health`). */
  grantee?: string;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Evaluates every observed call against the template's policies and keeps the record: denials fail the
 * scenario; statements nothing used are reported (least privilege, observed).
 */
export class AccessLedger {
  readonly observations: Observation[] = [];

  constructor(private readonly deployment: Deployment) {}

  private role(roleArn: string): RoleSpec | undefined {
    return this.deployment.roles.find((r) => r.arn === roleArn);
  }

  /** The resource policy that also applies to a resource (bucket policy, function policy). */
  private resourcePolicy(resource: string): SourcedStatement[] {
    const bucket = /^arn:[^:]+:s3:::([^/]+)/.exec(resource)?.[1];
    if (bucket) return this.deployment.bucketPolicies.get(bucket) ?? [];
    const fn = /^(arn:[^:]+:lambda:[^:]+:\d+:function:[^:]+)/.exec(resource)?.[1];
    if (fn) return this.deployment.functionPolicies.get(fn) ?? [];
    return [];
  }

  private record(o: Observation): Observation {
    this.observations.push(o);
    return o;
  }

  /** A call made with the credentials of `roleArn` (a function's SDK call, or a platform action on its behalf). */
  checkRoleCall(roleArn: string, caller: string, via: Observation['via'], operation: string, perm: RequiredPermission): Observation {
    const role = this.role(roleArn);
    const base = { caller, via, operation, action: perm.action, resource: perm.resource };
    if (!role) return this.record({ ...base, decision: 'unsupported', allowedBy: [], deniedBy: [], detail: `role ${roleArn} is not in the template` });
    const { account, region } = this.deployment.env;
    const principal: Principal = { kind: 'AWS', id: role.arn, account };
    const context = {
      // The SDK talks HTTPS to AWS (TLS 1.2+); the local hop is plain HTTP, so the transport keys are AWS's values.
      'aws:SecureTransport': 'true',
      's3:TlsVersion': '1.3',
      'aws:PrincipalArn': role.arn,
      'aws:PrincipalAccount': account,
      'aws:PrincipalType': 'AssumedRole',
      'aws:RequestedRegion': region,
      ...perm.context,
    };
    try {
      const e = evaluateSameAccount(role.statements, this.resourcePolicy(perm.resource), { action: perm.action, resource: perm.resource, principal, context });
      const unknown = e.decision !== 'allow' && role.managedPolicyArns.length > 0;
      return this.record({
        ...base,
        decision: unknown ? 'unsupported' : e.decision,
        allowedBy: e.allowedBy.map((s) => s.id),
        deniedBy: e.deniedBy.map((s) => s.id),
        detail: unknown ? `role has AWS managed policies the runner cannot evaluate: ${role.managedPolicyArns.join(', ')}` : undefined,
      });
    } catch (err) {
      if (!(err instanceof UnsupportedPolicyError)) throw err;
      return this.record({ ...base, decision: 'unsupported', allowedBy: [], deniedBy: [], detail: err.message });
    }
  }

  /** A service principal (API Gateway, a public Function URL client) invoking a function: only its resource policy counts. */
  checkInvoke(functionArn: string, caller: string, principal: Principal | undefined, action: string, context: Record<string, string>): Observation {
    const statements = this.deployment.functionPolicies.get(functionArn) ?? [];
    const e = evaluateSameAccount([], statements, { action, resource: functionArn, principal, context });
    return this.record({ caller, via: 'service', operation: 'Invoke', action, resource: functionArn, decision: e.decision, allowedBy: e.allowedBy.map((s) => s.id), deniedBy: e.deniedBy.map((s) => s.id) });
  }

  /** A service assuming a role (Step Functions, EventBridge Scheduler): the role's trust policy decides. */
  checkAssumeRole(roleArn: string, caller: string, service: string, context: Record<string, string>): Observation {
    const role = this.role(roleArn);
    const base = { caller, via: 'service' as const, operation: 'AssumeRole', action: 'sts:AssumeRole', resource: roleArn };
    if (!role) return this.record({ ...base, decision: 'unsupported', allowedBy: [], deniedBy: [], detail: `role ${roleArn} is not in the template` });
    const e = evaluateSameAccount([], role.trust, { action: 'sts:AssumeRole', resource: roleArn, principal: { kind: 'Service', id: service }, context });
    return this.record({ ...base, decision: e.decision, allowedBy: e.allowedBy.map((s) => s.id), deniedBy: e.deniedBy.map((s) => s.id) });
  }

  denials(): Observation[] {
    return this.observations.filter((o) => o.decision !== 'allow');
  }

  /** Allow statements of roles and function policies that no observed call matched. */
  unusedStatements(): UnusedStatement[] {
    const used = new Set(this.observations.flatMap((o) => o.allowedBy));
    const describe = (owner: string, s: SourcedStatement): UnusedStatement => ({
      owner,
      statement: s.id,
      actions: list(s.statement.Action ?? s.statement.NotAction).map(String),
      resources: list(s.statement.Resource ?? s.statement.NotResource).map(String),
    });
    const out: UnusedStatement[] = [];
    for (const role of this.deployment.roles) {
      for (const s of [...role.trust, ...role.statements]) if (s.statement.Effect === 'Allow' && !used.has(s.id)) out.push(describe(role.name, s));
    }
    for (const [fn, statements] of this.deployment.functionPolicies) {
      for (const s of statements) {
        if (used.has(s.id)) continue;
        const principal = s.statement.Principal === '*' ? 'anyone' : Object.values(s.statement.Principal ?? {}).flat().join(',');
        const source = Object.values(s.statement.Condition?.ArnLike ?? {})[0];
        out.push({ ...describe(`resource policy of ${fn.split(':').pop()}`, s), grantee: `${principal}${source ? ` for ${String(source).split(':').pop()}` : ''}` });
      }
    }
    return out;
  }

  /** Per statement that was used: the actions it grants that no call needed (finer-grained least privilege). */
  unusedActions(): { owner: string; statement: string; actions: string[] }[] {
    const usedActions = new Map<string, Set<string>>();
    for (const o of this.observations) for (const id of o.allowedBy) (usedActions.get(id) ?? usedActions.set(id, new Set()).get(id)!).add(o.action.toLowerCase());
    const out: { owner: string; statement: string; actions: string[] }[] = [];
    for (const role of this.deployment.roles) {
      for (const s of role.statements) {
        const seen = usedActions.get(s.id);
        if (!seen || s.statement.Effect !== 'Allow') continue;
        const granted = list(s.statement.Action).map(String);
        const idle = granted.filter((a) => ![...seen].some((u) => new RegExp(`^${a.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(u)));
        if (idle.length) out.push({ owner: role.name, statement: s.id, actions: idle });
      }
    }
    return out;
  }
}

/** A denial in one line, naming the caller, the action and the resource (and the reason). */
export function describeDenial(o: Observation): string {
  const why =
    o.decision === 'explicit-deny' ? `explicitly denied by ${o.deniedBy.join(', ')}` : o.decision === 'unsupported' ? `cannot be evaluated: ${o.detail}` : 'no statement allows it';
  return `${o.caller} is not allowed ${o.action} on ${o.resource} (${o.operation}; ${why})`;
}
