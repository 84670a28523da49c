import type { AccessLedger } from './access-ledger.js';
import type { Deployment, StateMachineSpec } from './deployment.js';
import { TemplateError } from './errors.js';
import type { LambdaService } from './lambda-service.js';
import type { LocalStepFunctions, LocalTask } from '../../functions/local/local-step-functions.js';

/** What the Step Functions service needs from the execution role when logging and tracing are on. */
const LOG_DELIVERY_ACTIONS = ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'];
const TRACE_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'];

/** The error Step Functions raises when its role may not invoke a task's function. */
class LambdaInvokeDenied extends Error {
  override name = 'Lambda.AWSLambdaException';
}

/**
 * Registers every state machine of the template with the project's local Step Functions interpreter: the
 * definition is the template's `DefinitionString` after `DefinitionSubstitutions`, and each Task resource
 * must be a function of the template, invoked as Step Functions does (assuming the state machine's role,
 * which must allow `lambda:InvokeFunction` on it).
 */
export function registerStateMachines(deployment: Deployment, sfn: LocalStepFunctions, lambda: LambdaService, ledger: AccessLedger): void {
  for (const machine of deployment.stateMachines) {
    if (machine.unresolved.length) {
      throw new TemplateError(
        `state machine ${machine.name} (${machine.logicalId}): its definition uses ${machine.unresolved.map((k) => `\${${k}}`).join(', ')} but DefinitionSubstitutions defines no such key` +
          (machine.unusedSubstitutions.length ? ` (unused keys: ${machine.unusedSubstitutions.join(', ')})` : '') +
          '; CloudFormation would leave the placeholder as written and Step Functions would reject it',
      );
    }
    try {
      JSON.parse(machine.definition);
    } catch (e) {
      throw new TemplateError(`state machine ${machine.name}: the definition is not valid JSON (${(e as Error).message})`);
    }
    const caller = `state machine ${machine.name}`;
    if (machine.logging) for (const action of LOG_DELIVERY_ACTIONS) ledger.checkRoleCall(machine.roleArn, caller, 'platform', 'LogDelivery', { action, resource: '*' });
    sfn.register({ name: machine.name, text: machine.definition, taskFor: (resource) => taskFor(deployment, machine, resource, lambda, ledger) });
  }
}

function taskFor(deployment: Deployment, machine: StateMachineSpec, resource: string, lambda: LambdaService, ledger: AccessLedger): LocalTask {
  const fn = deployment.functions.find((f) => f.arn === resource || resource.startsWith(`${f.arn}:`));
  if (!fn) throw new TemplateError(`state machine ${machine.name}: Task resource ${resource} is not a Lambda function of the template (a substitution points at the wrong thing)`);
  const caller = `state machine ${machine.name}`;
  const { account } = deployment.env;
  return async (input) => {
    const trust = ledger.checkAssumeRole(machine.roleArn, caller, 'states.amazonaws.com', { 'aws:SourceAccount': account, 'aws:SourceArn': machine.arn });
    const allowed = ledger.checkRoleCall(machine.roleArn, caller, 'service', 'Invoke', { action: 'lambda:InvokeFunction', resource });
    if (machine.tracing) for (const action of TRACE_ACTIONS) ledger.checkRoleCall(machine.roleArn, caller, 'platform', 'Tracing', { action, resource: '*' });
    if (trust.decision !== 'allow') throw new LambdaInvokeDenied(`Step Functions cannot assume ${machine.roleArn}: its trust policy does not allow states.amazonaws.com for ${machine.arn}`);
    if (allowed.decision !== 'allow') throw new LambdaInvokeDenied(`User: ${machine.roleArn} is not authorized to perform: lambda:InvokeFunction on resource: ${resource}`);
    const outcome = await lambda.invoke(fn, input);
    if (outcome.ok) return JSON.parse(outcome.payload);
    // Step Functions names the error after the function's errorType; the cause is the error object as JSON.
    const error = new Error(JSON.stringify({ errorType: outcome.errorType, errorMessage: outcome.errorMessage, trace: outcome.trace ?? [] }));
    error.name = outcome.errorType;
    throw error;
  };
}
