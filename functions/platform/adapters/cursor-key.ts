import type { Config } from './config.js';
import { cursorCodec, CursorKeyError, cursorKeysFrom, ephemeralCursorCodec, type CursorCodec } from './cursor.js';

/**
 * The cursor codec configuration asks for: `CURSOR_KEY`; else the Secrets Manager secret `CURSOR_KEY_SECRET_ARN`
 * (read on the first cursor, not at cold start: most invocations never page); else, against the local emulators
 * only, a key of this process. Deployed with neither, listing a second page fails with a clear error.
 */
export function cursorCodecFor(config: Pick<Config, 'cursorKey' | 'cursorKeySecretArn' | 'local' | 'region'>): CursorCodec {
  if (config.cursorKey) return cursorCodec(cursorKeysFrom(config.cursorKey));
  const arn = config.cursorKeySecretArn;
  if (arn) return cursorCodec(() => secretKeys(config.region, arn));
  if (config.local) return ephemeralCursorCodec();
  const missing = async (): Promise<never> => {
    throw new CursorKeyError('no pagination cursor key configured: set CURSOR_KEY or CURSOR_KEY_SECRET_ARN');
  };
  return { encode: missing, decode: missing };
}

/** The secret's current value seals; the previous one (during a rotation) still opens older cursors. */
async function secretKeys(region: string, secretId: string): Promise<Buffer[]> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ region });
  try {
    const current = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const previous = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSPREVIOUS' })).catch(() => undefined);
    return cursorKeysFrom([current.SecretString, previous?.SecretString].filter((s): s is string => !!s).join(','));
  } finally {
    client.destroy();
  }
}
