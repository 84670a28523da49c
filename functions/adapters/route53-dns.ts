import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import type { DnsPublisher, PrimaryHostnameRecord } from '../core/failover.js';

/**
 * Mirrors primary-hostname records into a Route 53 hosted zone (AWS deployments): an UPSERT of an
 * A record with the record's TTL, so a retried switch is harmless.
 */
export class Route53DnsPublisher implements DnsPublisher {
  readonly name = 'route53';
  constructor(
    private readonly client: Pick<Route53Client, 'send'>,
    private readonly hostedZoneId: string,
  ) {}

  async publish(record: PrimaryHostnameRecord): Promise<void> {
    await this.client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: this.hostedZoneId,
        ChangeBatch: {
          Comment: `primary hostname ${record.hostname} -> appliance ${record.applianceId}`,
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: { Name: record.hostname, Type: 'A', TTL: record.ttlSeconds, ResourceRecords: [{ Value: record.ipAddress }] },
            },
          ],
        },
      }),
    );
  }
}

/** The Route 53 publisher for one hosted zone (wired by services.ts when `ROUTE53_HOSTED_ZONE_ID` is set). */
export const route53Publisher = (region: string, hostedZoneId: string): DnsPublisher =>
  new Route53DnsPublisher(new Route53Client({ region }), hostedZoneId);
