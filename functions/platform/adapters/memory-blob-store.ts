import { createHash } from 'node:crypto';
import type { BlobBody, BlobInfo, BlobStore } from '../core/ports.js';

/** In-memory BlobStore (versioned like the backups bucket); for unit tests. */
export class MemoryBlobStore implements BlobStore {
  private readonly objects = new Map<string, { info: BlobInfo; bytes: Buffer }[]>();
  constructor(readonly bucket = 'memory') {}

  async put(key: string, body: BlobBody, options: { contentType?: string; metadata?: Record<string, string> } = {}) {
    const bytes = await collect(body);
    const versions = this.objects.get(key) ?? [];
    const info: BlobInfo = {
      key,
      size: bytes.length,
      etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
      versionId: String(versions.length + 1),
      contentType: options.contentType,
      metadata: { ...(options.metadata ?? {}) },
      lastModified: new Date(),
    };
    versions.push({ info, bytes });
    this.objects.set(key, versions);
    return { ...info };
  }

  async get(key: string, options: { versionId?: string } = {}) {
    const versions = this.objects.get(key);
    const entry = options.versionId ? versions?.find((v) => v.info.versionId === options.versionId) : versions?.at(-1);
    if (!entry) return undefined;
    return { info: { ...entry.info }, body: (async function* () { yield new Uint8Array(entry.bytes); })() };
  }

  async head(key: string) {
    const entry = this.objects.get(key)?.at(-1);
    return entry ? { ...entry.info } : undefined;
  }

  async list(prefix: string) {
    return [...this.objects.entries()]
      .filter(([k, v]) => k.startsWith(prefix) && v.length > 0)
      .map(([, v]) => ({ ...v.at(-1)!.info }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  async delete(key: string) {
    this.objects.delete(key);
  }
}

async function collect(body: BlobBody): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
