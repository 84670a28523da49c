// `npm start`: runs functions/local/main.ts from one esbuild bundle kept in node_modules/.cache, rebuilt only
// when a source it contains changed. Loading ~170 TypeScript files through tsx's off-thread loader hooks cost
// about 0.6 s of every start; the bundle loads like plain JavaScript. Packages stay external (node_modules),
// and each file keeps its own import.meta.url so paths relative to a source file still resolve.
import { build } from 'esbuild';
import { readFile, rename, stat, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The two overrides exist for the test of the cache itself (test/integration/start-cache.test.ts).
const ROOT = process.env.START_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, process.env.START_ENTRY ?? 'functions/local/main.ts');
const CACHE = process.env.START_CACHE ?? join(ROOT, 'node_modules/.cache/appliance-upgrade-start');
const OUT = join(CACHE, 'main.mjs');
const MANIFEST = join(CACHE, 'inputs.json');

/** Size and mtime of every input of the last build; a bundle is fresh when none moved. */
async function fingerprint(files) {
  const parts = await Promise.all(
    files.map(async (f) => {
      const s = await stat(join(ROOT, f)).catch(() => undefined);
      return s ? `${f}:${s.size}:${s.mtimeMs}` : `${f}:missing`;
    }),
  );
  return parts.join('\n');
}

async function isFresh() {
  try {
    const manifest = JSON.parse(await readFile(MANIFEST, 'utf8'));
    await stat(OUT);
    return manifest.fingerprint === (await fingerprint(manifest.inputs));
  } catch {
    return false;
  }
}

const keepModuleUrl = {
  name: 'keep-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const text = await readFile(path, 'utf8');
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(path).href)), loader: 'ts' };
    });
  },
};

async function rebuild() {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    metafile: true,
    outfile: OUT,
    write: false,
    logLevel: 'error',
    plugins: [keepModuleUrl],
  });
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/'));
  await mkdir(CACHE, { recursive: true });
  // Parallel starts (tests) may rebuild at once: each writes its own files, then renames them into place.
  const tmp = `.${process.pid}.tmp`;
  for (const file of result.outputFiles) {
    const target = join(CACHE, file.path.slice(dirname(OUT).length + 1));
    await writeFile(target + tmp, file.contents);
    await rename(target + tmp, target);
  }
  await writeFile(MANIFEST + tmp, JSON.stringify({ inputs, fingerprint: await fingerprint(inputs) }));
  await rename(MANIFEST + tmp, MANIFEST);
}

if (!(await isFresh())) await rebuild();
process.setSourceMapsEnabled(true);
await import(pathToFileURL(OUT).href);
