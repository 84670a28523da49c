import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { Route } from '../functions/platform/api/http.js';
import type { UpgradeStack } from './upgrade-stack.js';
import { LAMBDA_RUNTIME } from './constructs/control-plane-function.js';

/**
 * Wildcards in IAM policies that cdk-nag reports (AwsSolutions-IAM5) and that we accept, each with its reason.
 * A wildcard matching none of these stays a finding, so synth and the tests fail until someone decides.
 */
export const ACCEPTED_WILDCARDS: readonly { finding: RegExp; reason: string }[] = [
  {
    finding: /^Resource::\*$/,
    reason:
      'AWS only authorizes these actions on "*": X-Ray PutTraceSegments/PutTelemetryRecords, CloudWatch Logs vended-log delivery for Step Functions, and the list-only health probe (ListTables, ListAllMyBuckets, ListStateMachines). test/cdk checks that no other action is granted on "*".',
  },
  {
    finding: /^Resource::<Storage\w+Table\w+\.Arn>\/index\/\*$/,
    reason: 'Queries use the table GSIs (gsi1, gsi2) of TABLE_KEY_SCHEMA; the grant is limited to indexes of a table the function is declared to read.',
  },
  {
    finding: /^Resource::<Storage\w+Bucket\w+\.Arn>\/\*$/,
    reason: 'Objects of one declared bucket: keys are per appliance/package and not known at deploy time.',
  },
  {
    finding: /^Action::s3:(Abort\*|GetObject\*|GetBucket\*|List\*|DeleteObject\*)$/,
    reason: 'Action groups of the Bucket grant methods (read: Get/List, write: PutObject + Abort for multipart uploads, readwrite adds DeleteObject*), scoped to one declared bucket.',
  },
  {
    finding: /^Resource::<ControlPlaneTask\w+Function\w+\.Arn>:\*$/,
    reason: 'grantInvoke also covers versions and aliases of the task function the state machine calls; no other function.',
  },
  {
    finding: /^Resource::<ControlPlaneSchedulerFunction\w+\.Arn>:\*$/,
    reason: 'grantInvoke lets EventBridge Scheduler invoke the scheduler function (and its versions/aliases); no other function.',
  },
  {
    finding: /^Resource::arn:(<AWS::Partition>|aws):states:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):execution:[\w-]+:\*$/,
    reason: 'Executions of one declared workflow: names are run ids chosen at run time (describe/stop/history).',
  },
  {
    finding: /^Resource::arn:<AWS::Partition>:scheduler:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):schedule\/(<ControlPlaneMaintenanceWindows\w+>|upgrade-cp-[a-z0-9-]+-maintenance-windows)\/\*$/,
    reason: 'Schedules of the maintenance-window group only; one schedule per window, named at run time.',
  },
  {
    finding: /^Resource::arn:(<AWS::Partition>|aws[\w-]*):secretsmanager:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):secret:upgrade-cp-[a-z0-9-]+\/appliances\/\*$/,
    reason: 'GetSecretValue on the site driver credentials only: one secret per appliance, created by an operator when the appliance is enrolled (docs/driver.md), so the names are not known at deploy time.',
  },
  {
    finding: /^Resource::arn:(<AWS::Partition>|aws[\w-]*):route53:::change\/\*$/,
    reason: 'route53:GetChange only accepts change ids returned by ChangeResourceRecordSets; AWS has no narrower resource.',
  },
];

const apiAuthReason = (route: Route) =>
  route.auth === 'public'
    ? `${route.method} ${route.path} is public by design (${route.summary}).`
    : `${route.method} ${route.path} requires the ${route.auth} credential, checked by the handler: the emulated appliance issues and verifies its own tokens (OAuth2 client credentials / appliance login), which API Gateway authorizers cannot reproduce.`;

/**
 * Acknowledges the cdk-nag findings we accept, each with its reason, on the narrowest construct.
 * Called at the end of the stack constructor so the app's AwsSolutions validation sees only real findings.
 */
export function applyNagSuppressions(stack: UpgradeStack): void {
  for (const f of stack.functions) {
    Validations.of(f.construct.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: `${LAMBDA_RUNTIME.name} on purpose: the code is built and tested for Node 20/22 (the local runtime runs Node 20); move to a newer runtime after testing on it.`,
    });
  }
  Validations.of(stack.cursorKey.secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason: 'The cursor key only seals pagination cursors (no credential behind it); rotating it would just invalidate outstanding cursors, so it is rotated by hand when needed (the previous version keeps opening cursors meanwhile).',
  });
  for (const { route, routes } of stack.httpApis.flatMap((h) => h.generated)) {
    for (const r of routes) Validations.of(r).acknowledge({ id: 'AwsSolutions-APIG4', reason: apiAuthReason(route) });
  }

  const byPath = new Map<string, IConstruct>(stack.node.findAll().map((c) => [c.node.path, c]));
  for (const violation of new AwsSolutionsChecks().validateScope(stack).violations) {
    const finding = /^AwsSolutions-IAM5\[(.*)\]$/.exec(violation.ruleName)?.[1];
    const accepted = finding === undefined ? undefined : ACCEPTED_WILDCARDS.find((a) => a.finding.test(finding));
    if (!accepted) continue;
    for (const resource of violation.violatingResources) {
      const construct = byPath.get(resource.constructPath ?? '');
      if (construct) Validations.of(construct).acknowledge({ id: violation.ruleName, reason: accepted.reason });
    }
  }
}
