import { AssemblyRuntime, buildReport, STACK_ENVIRONMENT, type AssemblyReport, type Observed } from './assembly-runtime.js';
import type { CloudAssembly } from './cloud-assembly.js';
import { buildDeployment } from './deployment.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import type { Template } from './template.js';

export interface AssemblyRunOptions {
  assembly: CloudAssembly;
  scenarios: readonly Scenario[];
  /** Changes the template before it is run (tests break it on purpose). */
  mutate?: (template: Template) => void;
  log?: (line: string) => void;
  keepData?: boolean;
}

export interface ScenarioOutcome {
  name: string;
  ok: boolean;
  error?: string;
  facts?: Record<string, unknown>;
  ms: number;
}

export interface AssemblyRunResult {
  scenarios: ScenarioOutcome[];
  report?: AssemblyReport;
  /** Everything that fails the run: the report's failures, scenario failures, a template that cannot run. */
  failures: string[];
}

/** The assembly with the (optional) mutation applied to a copy of its template. */
export function prepareAssembly(assembly: CloudAssembly, mutate?: (template: Template) => void): CloudAssembly {
  const template = structuredClone(assembly.template);
  mutate?.(template);
  return { ...assembly, template };
}

/** One scenario on a fresh local deployment of the artifact; what it observed comes back for the report. */
export async function runScenario(assembly: CloudAssembly, scenario: Scenario, options: { log?: (line: string) => void; keepData?: boolean } = {}): Promise<{ outcome: ScenarioOutcome; observed?: Observed }> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  let rt: AssemblyRuntime | undefined;
  let outcome: ScenarioOutcome;
  try {
    rt = await AssemblyRuntime.start({ assembly, keepData: options.keepData });
    log(`[${scenario.name}] ${scenario.summary}`);
    const facts = await scenario.run({ rt, log: (l) => log(`[${scenario.name}] ${l}`) });
    outcome = { name: scenario.name, ok: true, facts, ms: Date.now() - started };
  } catch (e) {
    outcome = { name: scenario.name, ok: false, error: `${(e as Error).name}: ${(e as Error).message}`, ms: Date.now() - started };
  }
  let observed: Observed | undefined;
  if (rt) {
    observed = rt.observed();
    const stats = [...rt.lambda.stats].map(([fn, st]) => `${fn.replace(/^.*?-(api|task|scheduler)/, '$1')} ${st.invocations}× ${Math.round(st.totalMs / Math.max(1, st.invocations))} ms avg, ${st.coldStarts} cold ${Math.round(st.coldStartMs / Math.max(1, st.coldStarts))} ms`);
    log(`[${scenario.name}] invocations: ${stats.join('; ')}`);
    log(`[${scenario.name}] AWS calls: ${[...rt.endpoint.stats].map(([k, v]) => `${k} ${v.calls}× ${Math.round(v.ms / v.calls)} ms`).join('; ')}`);
    await rt.stop();
  }
  log(`[${scenario.name}] ${outcome.ok ? 'passed' : 'FAILED'} in ${Date.now() - started} ms`);
  return { outcome, observed };
}

/** The report over the scenarios' observations, and every failure of the run in one list. */
export function summarize(assembly: CloudAssembly, outcomes: ScenarioOutcome[], observed: Observed[], options: { complete: boolean }): AssemblyRunResult {
  const failures = outcomes.filter((o) => !o.ok).map((o) => `scenario ${o.name}: ${o.error}`);
  if (!observed.length) return { scenarios: outcomes, failures };
  // Names are deterministic, so one resolution of the template describes every runtime (URLs aside).
  const report = buildReport(buildDeployment(assembly, { stackName: assembly.stackName, ...STACK_ENVIRONMENT }), observed, options);
  return { scenarios: outcomes, report, failures: [...report.failures, ...failures] };
}

/** Each scenario on a fresh local deployment of the same artifact; one report over all of them. */
export async function runAssembly(options: AssemblyRunOptions): Promise<AssemblyRunResult> {
  const assembly = prepareAssembly(options.assembly, options.mutate);
  const outcomes: ScenarioOutcome[] = [];
  const observed: Observed[] = [];
  for (const scenario of options.scenarios) {
    const r = await runScenario(assembly, scenario, options);
    outcomes.push(r.outcome);
    if (!r.observed) break; // the template does not even start: every scenario would fail the same way
    observed.push(r.observed);
  }
  const complete = SCENARIOS.every((s) => options.scenarios.some((x) => x.name === s.name));
  return summarize(assembly, outcomes, observed, { complete });
}

/** The report as text: failures first, then what least privilege, observed, has to say. */
export function formatReport(result: AssemblyRunResult, options: { unused?: boolean } = {}): string {
  const lines: string[] = [];
  for (const s of result.scenarios) lines.push(`${s.ok ? 'ok  ' : 'FAIL'} ${s.name} (${(s.ms / 1000).toFixed(1)} s)${s.error ? `\n     ${s.error.split('\n').join('\n     ')}` : ''}`);
  const r = result.report;
  lines.push('', result.failures.length ? `${result.failures.length} failure(s):` : 'no failures: every call allowed, every variable set and read.');
  for (const f of result.failures) lines.push(`  - ${f}`);
  if (r && options.unused !== false) {
    const identity = r.unusedStatements.filter((u) => !u.grantee);
    lines.push('', `role statements no scenario used (${identity.length}):`);
    for (const u of identity) lines.push(`  - ${u.owner} ${u.statement}: ${u.actions.join(', ')}${u.resources.length ? ` on ${u.resources.join(', ')}` : ''}`);
    const byFunction = new Map<string, string[]>();
    for (const u of r.unusedStatements.filter((x) => x.grantee)) byFunction.set(u.owner, [...(byFunction.get(u.owner) ?? []), u.grantee!]);
    lines.push('', `function permissions no scenario used (${r.unusedStatements.length - identity.length}; routes no scenario called):`);
    for (const [owner, grantees] of byFunction) lines.push(`  - ${owner}: ${grantees.join('; ')}`);
    lines.push('', `granted actions no call needed, in statements that were used (${r.unusedActions.length} statements):`);
    for (const u of r.unusedActions) lines.push(`  - ${u.owner} ${u.statement}: ${u.actions.join(', ')}`);
    if (r.environment.notExercised.length) lines.push('', `functions no scenario invoked: ${r.environment.notExercised.join(', ')}`);
    const optional = [...new Set(r.environment.optionalReads.map((o) => o.variable))];
    if (optional.length) lines.push('', `optional variables read and left unset on purpose: ${optional.join(', ')}`);
    if (r.environment.enumerated.length) lines.push('', `functions that enumerate process.env (unread check weaker): ${r.environment.enumerated.join(', ')}`);
    if (r.warnings.length) lines.push('', 'notes:', ...r.warnings.map((w) => `  - ${w}`));
  }
  return lines.join('\n');
}
