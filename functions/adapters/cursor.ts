/** Opaque pagination cursors: base64url JSON of the store's last-evaluated key. */
export const encodeCursor = (key: Record<string, unknown> | undefined): string | undefined =>
  key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;

export function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // A last-evaluated key always holds the table key (pk, sk) and only string or number values.
    if (isKey(value) && typeof value.pk === 'string' && typeof value.sk === 'string') return value;
  } catch {
    // fall through to the error below
  }
  throw new InvalidCursorError();
}

const isKey = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string' || typeof v === 'number');

export class InvalidCursorError extends Error {
  override name = 'InvalidCursor';
  constructor() {
    super('invalid pagination cursor');
  }
}
