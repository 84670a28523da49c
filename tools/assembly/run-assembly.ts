import { AssemblyRuntime, buildReport, type AssemblyReport, type Observed } from './assembly-runtime.js';
import type { CloudAssembly } from './cloud-assembly.js';
import { buildDeployment } from './deployment.js';
import type { Scenario } from './scenarios.js';
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

/** Each scenario on a fresh local deployment of the same artifact; one report over all of them. */
export async function runAssembly(options: AssemblyRunOptions): Promise<AssemblyRunResult> {
  const log = options.log ?? (() => undefined);
  const template = structuredClone(options.assembly.template);
  options.mutate?.(template);
  const assembly: CloudAssembly = { ...options.assembly, template };
  const outcomes: ScenarioOutcome[] = [];
  const observed: Observed[] = [];
  const failures: string[] = [];
  for (const scenario of options.scenarios) {
    const started = Date.now();
    let rt: AssemblyRuntime | undefined;
    try {
      rt = await AssemblyRuntime.start({ assembly, keepData: options.keepData });
      log(`[${scenario.name}] ${scenario.summary}`);
      const facts = await scenario.run({ rt, log: (l) => log(`[${scenario.name}] ${l}`) });
      outcomes.push({ name: scenario.name, ok: true, facts, ms: Date.now() - started });
    } catch (e) {
      const error = `${(e as Error).name}: ${(e as Error).message}`;
      outcomes.push({ name: scenario.name, ok: false, error, ms: Date.now() - started });
      failures.push(`scenario ${scenario.name}: ${error}`);
    } finally {
      if (rt) {
        observed.push(rt.observed());
        await rt.stop();
      }
      log(`[${scenario.name}] ${outcomes.at(-1)?.ok ? 'passed' : 'FAILED'} in ${Date.now() - started} ms`);
    }
    if (!rt) break; // the template does not even start: every scenario would fail the same way
  }
  let report: AssemblyReport | undefined;
  if (observed.length) {
    // Names are deterministic, so any runtime's deployment describes all of them (URLs aside).
    report = buildReport(buildDeployment(assembly, { stackName: assembly.stackName, account: '000000000000', region: 'us-east-1', partition: 'aws', urlSuffix: 'amazonaws.com' }), observed);
    failures.unshift(...report.failures);
  }
  return { scenarios: outcomes, report, failures };
}

/** The report as text: failures first, then what least privilege, observed, has to say. */
export function formatReport(result: AssemblyRunResult, options: { unused?: boolean } = {}): string {
  const lines: string[] = [];
  for (const s of result.scenarios) lines.push(`${s.ok ? 'ok  ' : 'FAIL'} ${s.name} (${(s.ms / 1000).toFixed(1)} s)${s.error ? `\n     ${s.error.split('\n').join('\n     ')}` : ''}`);
  const r = result.report;
  lines.push('', result.failures.length ? `${result.failures.length} failure(s):` : 'no failures: every call allowed, every variable set and read.');
  for (const f of result.failures) lines.push(`  - ${f}`);
  if (r && options.unused !== false) {
    lines.push('', `statements no scenario used (${r.unusedStatements.length}):`);
    for (const u of r.unusedStatements) lines.push(`  - ${u.owner} ${u.statement}: ${u.actions.join(', ')} on ${u.resources.join(', ')}`);
    lines.push('', `granted actions no call needed, in statements that were used (${r.unusedActions.length} statements):`);
    for (const u of r.unusedActions) lines.push(`  - ${u.owner} ${u.statement}: ${u.actions.join(', ')}`);
    if (r.environment.notExercised.length) lines.push('', `functions no scenario invoked: ${r.environment.notExercised.join(', ')}`);
    const optional = [...new Set(r.environment.optionalReads.map((o) => o.variable))];
    if (optional.length) lines.push('', `optional variables read and left unset on purpose: ${optional.join(', ')}`);
    if (r.environment.enumerated.length) lines.push('', `functions that enumerate process.env (unread check weaker): ${r.environment.enumerated.join(', ')}`);
    if (r.warnings.length) lines.push('', 'warnings:', ...r.warnings.map((w) => `  - ${w}`));
  }
  return lines.join('\n');
}
