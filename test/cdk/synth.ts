import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../cdk/app.js';

/** Context that skips esbuild bundling (assets become placeholders): the template is the same, synth is ~10x faster. */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] as string[] };

/** Builds the real app (route table, task registry, statemachines/) for a stage and returns its template. */
export function synthStage(context: Record<string, unknown>) {
  const { app, stack } = buildApp({ ...NO_BUNDLING, ...context });
  return { app, stack, template: Template.fromStack(stack) };
}

export const logicalId = (construct: IConstruct) =>
  Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

export interface Grant {
  action: string;
  /** The statement resource as JSON: `"*"`, `{"Fn::GetAtt":[...]}`, `{"Fn::Join":...}`. */
  resource: string;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

/** Every (action, resource) pair the inline policies attached to a role allow. */
export function grantsOfRole(template: Template, roleLogicalId: string): Grant[] {
  const resources = template.toJSON().Resources as Resources;
  const grants: Grant[] = [];
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles: unknown[] = r.Properties?.Roles ?? [];
    if (!roles.some((x) => JSON.stringify(x) === JSON.stringify({ Ref: roleLogicalId }))) continue;
    for (const s of r.Properties!.PolicyDocument.Statement as Record<string, any>[]) {
      if (s.Effect !== 'Allow') continue;
      const actions = [s.Action].flat() as string[];
      const targets = [s.Resource].flat();
      for (const action of actions) for (const resource of targets) grants.push({ action, resource: JSON.stringify(resource) });
    }
  }
  return grants;
}

export const resourcesOfType = (template: Template, type: string) =>
  Object.entries(template.toJSON().Resources as Resources).filter(([, r]) => r.Type === type);
