import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
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

const rows = results.map((r) => [
  r.suite,
  r.name,
  `${r.value} ${r.unit}`,
  r.baseline ? `${r.baseline.name}: ${r.baseline.value} ${r.unit}` : '',
  r.ratio !== undefined ? String(r.ratio) : '',
  r.target ?? '',
  r.pass === undefined ? '' : r.pass ? 'pass' : 'FAIL',
  r.notes ?? '',
]);
const header = ['suite', 'figure', 'value', 'baseline (same run)', 'ratio', 'target', 'result', 'notes'];
const table = [header, header.map((h) => '-'.repeat(h.length)), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
console.log(table);
await writeFile(join(dir, 'results.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
await writeFile(join(dir, 'results.md'), `${table}\n`);
const judged = results.filter((r) => r.pass !== undefined);
console.log(`\ntargets met: ${judged.filter((r) => r.pass).length} of ${judged.length} (written to bench/results.json and bench/results.md)`);
// Benchmarks report; they do not gate. `--strict` makes a missed target exit non-zero.
if (process.argv.includes('--strict') && judged.some((r) => !r.pass)) process.exitCode = 1;
