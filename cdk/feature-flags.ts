/**
 * CDK feature flags the stack relies on, applied as app defaults so tests and `cdk synth` agree
 * (cdk.json may still override them).
 */
export const FEATURE_FLAGS: Record<string, unknown> = {
  // Access-log delivery through a bucket policy instead of the LogDeliveryWrite ACL (ACLs stay disabled).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-s3:createDefaultLoggingPolicy': true,
  // Merge statements that grant the same actions, so policies stay small as route groups grow.
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/core:enablePartitionLiterals': true,
  '@aws-cdk/aws-iam:standardizedServicePrincipals': true,
};
