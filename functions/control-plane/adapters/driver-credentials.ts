/**
 * Where the site driver keeps each appliance's admin credential: a file in the data dir locally (mode
 * 0600, written atomically), Secrets Manager on AWS (one secret per appliance, `<prefix><applianceId>`,
 * a JSON `{username, password}`), in memory for unit tests. The control plane's own store: the
 * appliance keeps only the password's hash.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DriverCredentials, SiteCredential } from './site-driver.js';

export class MemoryDriverCredentials implements DriverCredentials {
  private readonly byAppliance = new Map<string, SiteCredential>();
  async get(applianceId: string) {
    return this.byAppliance.get(applianceId);
  }
  async put(applianceId: string, credential: SiteCredential) {
    this.byAppliance.set(applianceId, credential);
  }
}

export class FileDriverCredentials implements DriverCredentials {
  private cache?: Record<string, SiteCredential>;
  private writing: Promise<void> = Promise.resolve();
  constructor(readonly file: string) {}

  static inDataDir(dataDir: string) {
    return new FileDriverCredentials(join(dataDir, 'control-plane', 'driver-credentials.json'));
  }

  private async load(): Promise<Record<string, SiteCredential>> {
    if (this.cache) return this.cache;
    try {
      this.cache = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, SiteCredential>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`driver credentials ${this.file} unreadable: ${(e as Error).message}`);
      this.cache = {};
    }
    return this.cache;
  }

  async get(applianceId: string) {
    return (await this.load())[applianceId];
  }

  async put(applianceId: string, credential: SiteCredential) {
    const all = await this.load();
    all[applianceId] = credential;
    // Serialized, whole-file replace: a crash leaves the old file or the new one.
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(all, null, 2), { mode: 0o600 });
      await rename(tmp, this.file);
    });
    await this.writing;
  }
}

/** Secrets Manager: read-only for the control plane (an operator enrols an appliance, docs/driver.md). */
export class SecretsManagerDriverCredentials implements DriverCredentials {
  private readonly cache = new Map<string, SiteCredential>();
  constructor(
    private readonly region: string,
    private readonly prefix: string,
  ) {}

  async get(applianceId: string) {
    const cached = this.cache.get(applianceId);
    if (cached) return cached;
    const { SecretsManagerClient, GetSecretValueCommand, ResourceNotFoundException } = await import('@aws-sdk/client-secrets-manager');
    const client = new SecretsManagerClient({ region: this.region });
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: `${this.prefix}${applianceId}` }));
      const parsed = JSON.parse(out.SecretString ?? '{}') as Partial<SiteCredential>;
      if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string') throw new Error(`secret ${this.prefix}${applianceId} is not {username, password}`);
      const credential = { username: parsed.username, password: parsed.password };
      this.cache.set(applianceId, credential);
      return credential;
    } catch (e) {
      if (e instanceof ResourceNotFoundException) return undefined;
      throw e;
    } finally {
      client.destroy();
    }
  }

  async put(): Promise<void> {
    throw new Error('driver credentials on AWS are written by the operator (docs/driver.md), not by the control plane');
  }
}
