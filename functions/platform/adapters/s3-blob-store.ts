import type { S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import type { BlobBody, BlobInfo, BlobStore } from '../core/ports.js';
import { once } from './lazy.js';

/** SDK modules, imported on first use (see clients.ts). */
const s3 = once(() => import('@aws-sdk/client-s3'));
const storage = once(() => import('@aws-sdk/lib-storage'));

/** Parts of 8 MiB, four in flight: bounded memory (~32 MiB) for any upload size. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;

export class S3BlobStore implements BlobStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async put(
    key: string,
    body: BlobBody,
    options: { contentType?: string; metadata?: Record<string, string> } = {},
  ): Promise<BlobInfo> {
    const { Upload } = await storage();
    const upload = new Upload({
      client: this.client,
      queueSize: QUEUE_SIZE,
      partSize: PART_SIZE,
      leavePartsOnError: false,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: toUploadBody(body),
        ContentType: options.contentType,
        Metadata: options.metadata,
      },
    });
    const out = await upload.done();
    const info = await this.head(key);
    if (!info) throw new Error(`object ${this.bucket}/${key} missing right after upload`);
    return { ...info, versionId: out.VersionId ?? info.versionId, etag: out.ETag ?? info.etag };
  }

  async get(key: string, options: { versionId?: string } = {}) {
    const { GetObjectCommand } = await s3();
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: options.versionId }),
      );
      return { info: blobInfo(key, out), body: out.Body as Readable };
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const { HeadObjectCommand } = await s3();
    try {
      return blobInfo(key, await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async list(prefix: string): Promise<BlobInfo[]> {
    const { ListObjectsV2Command } = await s3();
    const result: BlobInfo[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of out.Contents ?? []) {
        if (o.Key) result.push({ key: o.Key, size: o.Size ?? 0, etag: o.ETag, metadata: {}, lastModified: o.LastModified });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return result;
  }

  async delete(key: string): Promise<void> {
    const { DeleteObjectCommand } = await s3();
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

/** The object facts GetObject and HeadObject both answer with. */
function blobInfo(
  key: string,
  out: { ContentLength?: number; ETag?: string; VersionId?: string; ContentType?: string; Metadata?: Record<string, string>; LastModified?: Date },
): BlobInfo {
  return { key, size: out.ContentLength ?? 0, etag: out.ETag, versionId: out.VersionId, contentType: out.ContentType, metadata: out.Metadata ?? {}, lastModified: out.LastModified };
}

function toUploadBody(body: BlobBody) {
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ReadableStream) return Readable.fromWeb(body as import('node:stream/web').ReadableStream);
  return body instanceof Readable ? body : Readable.from(body);
}

function isMissing(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
}
