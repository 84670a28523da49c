/**
 * The ledger on disk: one JSON entry per line, appended (never rewritten), in the data dir. Crash-safe by
 * construction: a write torn by a crash can only damage the last line, which reading skips (as it skips any
 * line that is not a ledger entry), so a torn ledger is never fatal.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LedgerEntry } from './ledger.js';

const KINDS = new Set(['session', 'cut-off', 'failure', 'success']);

/** Parses a ledger file's text; lines that do not parse (a torn last line) are skipped and counted. */
export function parseLedger(text: string): { entries: LedgerEntry[]; skipped: number } {
  const entries: LedgerEntry[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const entry = JSON.parse(line) as LedgerEntry;
      if (entry && typeof entry === 'object' && KINDS.has(entry.kind)) entries.push(entry);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { entries, skipped };
}

export class LedgerFile {
  private tail: Promise<void> = Promise.resolve();
  private startsClean: Promise<void> | undefined;

  constructor(readonly path: string) {}

  /** Appends entries in call order. A torn last line left by a crash is closed first, so it stays one bad line. */
  append(...entries: LedgerEntry[]): Promise<void> {
    const text = entries.map((e) => JSON.stringify(e)).join('\n') + '\n';
    this.startsClean ??= this.closeTornLine();
    const next = this.tail.then(async () => {
      await this.startsClean;
      await appendFile(this.path, text, 'utf8');
    });
    // One failed write must not stop later ones; the caller sees its own failure.
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every append issued so far is on disk. */
  flush(): Promise<void> {
    return this.tail;
  }

  async read(): Promise<{ entries: LedgerEntry[]; skipped: number }> {
    await this.flush();
    try {
      return parseLedger(await readFile(this.path, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: 0 };
      throw e;
    }
  }

  private async closeTornLine(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    try {
      const text = await readFile(this.path, 'utf8');
      if (text.length > 0 && !text.endsWith('\n')) await appendFile(this.path, '\n', 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
