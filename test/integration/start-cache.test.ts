import { execFile } from 'node:child_process';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/process.js';
import { tempDir } from '../helpers/runtime.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** `npm start`'s bundle cache (tools/start.mjs) on a tiny project of its own. */
describe('npm start bundle cache', () => {
  it('runs the sources as they are now: an edited import is rebuilt, an untouched tree reuses the bundle', async () => {
    const root = await tempDir();
    dirs.push(root);
    await mkdir(join(root, 'src'));
    await writeFile(join(root, 'src/main.ts'), "import { word } from './word.js';\nconst here: string = new URL('.', import.meta.url).pathname;\nconsole.log(word, here);\n");
    const edit = async (word: string, at: Date) => {
      await writeFile(join(root, 'src/word.ts'), `export const word: string = ${JSON.stringify(word)};\n`);
      await utimes(join(root, 'src/word.ts'), at, at);
    };
    const start = async () => {
      const env = { ...process.env, START_ROOT: root, START_ENTRY: 'src/main.ts', START_CACHE: join(root, 'cache') };
      return (await run(process.execPath, [join(ROOT, 'tools/start.mjs')], { env })).stdout.trim();
    };

    await edit('first', new Date(2026, 0, 1));
    // import.meta.url stays the source file's own, so paths relative to it still resolve from the bundle.
    expect(await start()).toBe(`first ${join(root, 'src')}/`);
    await edit('second', new Date(2026, 0, 2));
    expect(await start()).toBe(`second ${join(root, 'src')}/`);

    // Unchanged inputs: the bundle is reused, not rebuilt (a marker written into it survives).
    const bundle = join(root, 'cache/main.mjs');
    await writeFile(bundle, "console.log('from cache');\n");
    expect(await start()).toBe('from cache');
  });
});
