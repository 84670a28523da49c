/**
 * `npm run assembly -- <scenario...|all> [--assembly <dir>] [--json <file>] [--keep]`
 *
 * Synthesizes the stack offline (or reads an existing cloud assembly), runs the scenarios against it and
 * prints the report. Exit code 0 when clean, 1 on any failure, 2 on bad usage.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { readCloudAssembly, synthesize } from './cloud-assembly.js';
import { formatReport, runAssembly } from './run-assembly.js';
import { SCENARIOS, scenarioNamed } from './scenarios.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const keep = args.includes('--keep');
if (keep) args.splice(args.indexOf('--keep'), 1);
const assemblyDir = flag('--assembly');
const jsonFile = flag('--json');
if (args.length === 0 || args.includes('--help')) {
  console.error(`usage: npm run assembly -- <scenario...|all> [--assembly <cloud assembly dir>] [--json <report file>] [--keep]\nscenarios: ${SCENARIOS.map((s) => `\n  ${s.name.padEnd(17)} ${s.summary}`).join('')}`);
  process.exit(2);
}
let scenarios;
try {
  scenarios = args.includes('all') ? SCENARIOS : args.map(scenarioNamed);
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(2);
}

const started = Date.now();
const assembly = assemblyDir ? readCloudAssembly(assemblyDir) : await synthesize();
console.log(`cloud assembly ${assembly.directory} (${assembly.stackName}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
const result = await runAssembly({ assembly, scenarios, keepData: keep, log: (l) => console.log(l) });
console.log(`\n${formatReport(result, { unused: scenarios.length === SCENARIOS.length })}`);
if (scenarios.length !== SCENARIOS.length) for (const w of result.report?.warnings ?? []) console.log(`note: ${w}`);
if (jsonFile) writeFileSync(jsonFile, JSON.stringify(result, null, 2));
if (!assemblyDir && !keep) rmSync(assembly.directory, { recursive: true, force: true });
console.log(`\nassembly run: ${result.scenarios.filter((s) => s.ok).length}/${result.scenarios.length} scenarios passed, ${result.failures.length} failure(s), ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(result.failures.length ? 1 : 0);
