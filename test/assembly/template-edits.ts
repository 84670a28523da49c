import type { Template } from '../../tools/assembly/template.js';

/** Edits a test makes to a synthesized template on purpose, found by what they mean (not by logical id). */

export function functionId(template: Template, nameSuffix: string): string {
  const found = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::Lambda::Function' && String(r.Properties?.FunctionName ?? '').endsWith(nameSuffix));
  if (!found) throw new Error(`no function named *${nameSuffix} in the template`);
  return found[0];
}

export function environmentOf(template: Template, nameSuffix: string): Record<string, unknown> {
  return (template.Resources[functionId(template, nameSuffix)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
}

/** Removes `action` from every statement of the policies attached to the function's role; returns how many it removed. */
export function dropRoleAction(template: Template, nameSuffix: string, action: string): number {
  const role = (template.Resources[functionId(template, nameSuffix)]!.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  let removed = 0;
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy' || !JSON.stringify(r.Properties?.Roles).includes(`"${role}"`)) continue;
    for (const s of (r.Properties!.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement) {
      const actions = [s.Action].flat();
      if (!actions.includes(action)) continue;
      s.Action = actions.filter((a) => a !== action);
      removed++;
    }
  }
  return removed;
}

/** Renames one key of a state machine's DefinitionSubstitutions (the placeholder in the definition stays). */
export function renameSubstitution(template: Template, key: string, to: string): string {
  for (const [id, r] of Object.entries(template.Resources)) {
    const subs = r.Properties?.DefinitionSubstitutions as Record<string, unknown> | undefined;
    if (r.Type !== 'AWS::StepFunctions::StateMachine' || !subs || !(key in subs)) continue;
    subs[to] = subs[key];
    delete subs[key];
    return id;
  }
  throw new Error(`no state machine substitutes ${key}`);
}

export function setSubstitution(template: Template, key: string, value: unknown): void {
  for (const r of Object.values(template.Resources)) {
    const subs = r.Properties?.DefinitionSubstitutions as Record<string, unknown> | undefined;
    if (r.Type === 'AWS::StepFunctions::StateMachine' && subs && key in subs) subs[key] = value;
  }
}

/** Deletes the Lambda permissions whose SourceArn ends with `pathSuffix` (API Gateway may then not invoke the route). */
/** Deletes API Gateway's permission to invoke the function named `*nameSuffix` (one per function and API). */
export function dropApiPermission(template: Template, nameSuffix: string): number {
  const fn = functionId(template, nameSuffix);
  const ids = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Permission' && r.Properties?.Principal === 'apigateway.amazonaws.com' && JSON.stringify(r.Properties?.FunctionName ?? '').includes(`"${fn}"`))
    .map(([id]) => id);
  for (const id of ids) delete template.Resources[id];
  return ids.length;
}

/** Deletes the function-URL permissions (InvokeFunctionUrl and InvokeFunction via the URL). */
export function dropFunctionUrlPermissions(template: Template): number {
  const ids = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Permission' && (r.Properties?.FunctionUrlAuthType || r.Properties?.InvokedViaFunctionUrl)).map(([id]) => id);
  for (const id of ids) delete template.Resources[id];
  return ids.length;
}
