/** The guided driver's manual steps of a run (docs/driver.md): list them, confirm one (audited). */
import * as z from 'zod/mini';
import '../../../platform/core/validation.js';
import { confirmManualStep, getManualStep, listManualSteps } from '../../app/guided-driver.js';
import { appendAudit, requireRun } from '../../app/run-store.js';
import { notFound } from '../../../platform/core/errors.js';
import { controlRoute } from './control-route.js';
import * as S from './schemas.js';

const ManualStepSchema = z.object({
  step: z.string(),
  applianceId: z.string(),
  operation: z.enum(['install', 'force-sync', 'break', 'establish']),
  instruction: z.string(),
  status: z.enum(['pending', 'confirmed']),
  createdAt: z.string(),
  confirmedBy: z.optional(z.string()),
  confirmedAt: z.optional(z.string()),
});
const StepParams = z.object({ runId: S.RunIdParams.shape.runId, step: z.string().check(z.regex(/^w[12]:[a-z-]+(?::[A-Za-z0-9._-]+)?$/, 'a step key as listed, e.g. w2:establish-pair')) });

const view = (runId: string, s: Awaited<ReturnType<typeof getManualStep>> & object) => ({ ...s, step: s.requestKey.slice(runId.length + 1), requestKey: undefined });

export const manualStepRoutes = [
  controlRoute({
    method: 'GET',
    path: '/v1/runs/:runId/manual-steps',
    role: 'viewer',
    summary: 'Manual steps of the run (guided driver): the instruction, pending or confirmed',
    params: S.RunIdParams,
    response: { status: 200, schema: z.object({ steps: z.array(ManualStepSchema) }) },
    handle: async ({ ctx, params }) => {
      await requireRun(ctx, params.runId);
      const steps = (await listManualSteps(ctx)).filter((s) => s.requestKey.startsWith(`${params.runId}:`));
      return { status: 200, body: { steps: steps.map((s) => view(params.runId, s)) } };
    },
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/runs/:runId/manual-steps/:step/confirm',
    role: 'operator',
    summary: 'Confirm that a manual step was done on the appliance; the workflow then verifies it over the vendor APIs',
    params: StepParams,
    response: { status: 200, schema: z.object({ step: ManualStepSchema }) },
    handle: async ({ ctx, operator, params }) => {
      await requireRun(ctx, params.runId);
      const requestKey = `${params.runId}:${params.step}`;
      if (!(await getManualStep(ctx, requestKey))) throw notFound('ManualStepNotFound', `run ${params.runId} has no manual step ${params.step}`);
      const step = await confirmManualStep(ctx, requestKey, operator.operatorId);
      await appendAudit(ctx, { runId: params.runId, step: `manual.${params.step}`, actor: operator.operatorId, outcome: 'succeeded', detail: `confirmed: ${step.instruction}` });
      return { status: 200, body: { step: view(params.runId, step) } };
    },
  }),
];
