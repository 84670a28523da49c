import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { Benchmark, BenchResult } from './bench.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts') && (only.length === 0 || only.some((o) => f.includes(o)))).sort();

// `--child <file>`: run one suite in this process and print its results as the last stdout line.
const childIndex = process.argv.indexOf('--child');
if (childIndex > 0) {
  const mod = (await import(pathToFileURL(join(dir, process.argv[childIndex + 1]!)).href)) as { default: Benchmark };
  process.stdout.write(`\nBENCH-RESULTS ${JSON.stringify(await mod.default())}\n`);
  process.exit(0);
}

/** Each suite runs in a fresh Node process, so memory and timing figures do not inherit another suite's heap. */
function runSuite(file: string): Promise<BenchResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH-RESULTS '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('BENCH-RESULTS '.length)) as BenchResult[]);
      else reject(new Error(`bench suite ${file} exited with ${code}`));
    });
  });
}

const results: (BenchResult & { suite: string })[] = [];
for (const file of files) {
  const suite = file.replace(/\.bench\.ts$/, '');
  process.stderr.write(`running ${suite}...\n`);
  try {
    for (const r of await runSuite(file)) results.push({ suite, ...r });
  } catch (e) {
    results.push({ suite, name: `suite failed: ${(e as Error).message}`, value: 0, unit: '', pass: false });
  }
}

// A partial run (`npm run bench -- <suite>`) replaces only its suites' rows in the saved report.
const resultsFile = join(dir, 'results.json');
const ran = new Set(files.map((f) => f.replace(/\.bench\.ts$/, '')));
const previous = only.length > 0 && existsSync(resultsFile) ? ((JSON.parse(await readFile(resultsFile, 'utf8')) as { results: typeof results }).results ?? []) : [];
const all = [...previous.filter((r) => !ran.has(r.suite)), ...results].sort((x, y) => x.suite.localeCompare(y.suite));

const row = (r: (typeof results)[number]) => [
  r.suite,
  r.name,
  `${r.value} ${r.unit}`,
  r.baseline ? `${r.baseline.name}: ${r.baseline.value} ${r.unit}` : '',
  r.ratio !== undefined ? String(r.ratio) : '',
  r.target ?? '',
  r.pass === undefined ? '' : r.pass ? 'pass' : 'FAIL',
  r.notes ?? '',
];
const header = ['suite', 'figure', 'value', 'baseline (same run)', 'ratio', 'target', 'result', 'notes'];
const table = (rows: (typeof results)[number][]) => [header, header.map((h) => '-'.repeat(h.length)), ...rows.map(row)].map((r) => `| ${r.join(' | ')} |`).join('\n');
console.log(table(results));
await writeFile(resultsFile, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results: all }, null, 2)}\n`);
await writeFile(join(dir, 'results.md'), `${table(all)}\n`);
const judged = results.filter((r) => r.pass !== undefined);
console.log(`\ntargets met: ${judged.filter((r) => r.pass).length} of ${judged.length} (bench/results.json and bench/results.md updated)`);
// Benchmarks report; they do not gate. `--strict` makes a missed target exit non-zero.
if (process.argv.includes('--strict') && judged.some((r) => !r.pass)) process.exitCode = 1;
