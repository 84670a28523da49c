import { createCipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import type { Appliance } from '../../platform/core/appliance.js';
import { validationError } from '../../platform/core/errors.js';
import type { AppContext } from '../../platform/app/context.js';

/** Longest backup password accepted (the vendor documents none; bounded so scrypt's input stays small). */
export const MAX_BACKUP_PASSWORD = 256;
/** First bytes of a password-protected emulator backup: magic, then salt (16), IV (12), GCM tag (16), ciphertext. */
export const ENCRYPTED_BACKUP_MAGIC = Buffer.from('NSB-EMU-AES256GCM\n');

export interface BackupDownload {
  filename: string;
  bytes: Buffer;
  sha256: string;
}

/**
 * `/api/backup`: the site's configuration as it is now, generated for this request (the vendor's backup API
 * saves a fresh backup, it does not hand out a stored one) and nothing stored. The file is the emulator's
 * settings document (the same format /login backups hold); with a password, AES-256-GCM under a scrypt key
 * so it is opaque without the password, like a password-protected `.nsb`.
 */
export function backupDownload(ctx: AppContext, appliance: Appliance, password?: string): BackupDownload {
  if (password !== undefined && (password.length === 0 || password.length > MAX_BACKUP_PASSWORD)) {
    throw validationError('InvalidBackupPassword', `the backup password must be 1 to ${MAX_BACKUP_PASSWORD} characters`);
  }
  const now = ctx.clock.now().toISOString();
  const settings = Buffer.from(JSON.stringify({ format: 'appliance-settings/1', applianceId: appliance.applianceId, createdAt: now, settings: appliance }));
  const bytes = password === undefined ? settings : encrypt(settings, password);
  const stamp = now.slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return { filename: `${appliance.hostname}-${stamp}-${appliance.productVersion}.nsb`.replace(/[^A-Za-z0-9._-]/g, '_'), bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function encrypt(plain: Buffer, password: string): Buffer {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', scryptSync(password, salt, 32), iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([ENCRYPTED_BACKUP_MAGIC, salt, iv, cipher.getAuthTag(), body]);
}
