import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Config } from './config.js';

/** Emulators accept any credentials; fixed ones keep the SDK from searching the provider chain. */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface AwsClients {
  dynamodb: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  s3: S3Client;
  sfn: SFNClient;
  destroy(): void;
}

/**
 * The SDK packages are imported here, on first use, not at module load: a Lambda bundle keeps them as
 * dynamic imports of the runtime's SDK, so its cold start does not pay for clients it may not need.
 */
export async function createClients(config: Config): Promise<AwsClients> {
  const [{ DynamoDBClient }, { DynamoDBDocumentClient }, { S3Client }, { SFNClient }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/lib-dynamodb'),
    import('@aws-sdk/client-s3'),
    import('@aws-sdk/client-sfn'),
  ]);
  const base = { region: config.region, ...(config.local ? { credentials: LOCAL_CREDENTIALS } : {}) };
  const dynamodb = new DynamoDBClient({ ...base, endpoint: config.endpoints.dynamodb, maxAttempts: 5 });
  const documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  const s3 = new S3Client({
    ...base,
    endpoint: config.endpoints.s3,
    forcePathStyle: config.local,
    // s3rver cannot verify the newer default CRC checksums on streamed bodies.
    ...(config.local ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
  const sfn = new SFNClient({ ...base, endpoint: config.endpoints.sfn });
  return {
    dynamodb,
    documents,
    s3,
    sfn,
    destroy() {
      dynamodb.destroy();
      s3.destroy();
      sfn.destroy();
    },
  };
}
