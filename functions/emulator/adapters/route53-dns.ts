import type { Route53Client } from '@aws-sdk/client-route-53';
import type { DnsPublisher, PrimaryHostnameRecord } from '../core/failover.js';
import { once } from '../../platform/adapters/lazy.js';

/** The SDK module, imported on first use (see clients.ts). */
const sdk = once(() => import('@aws-sdk/client-route-53'));

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
    const { ChangeResourceRecordSetsCommand } = await sdk();
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
export const route53Publisher = async (region: string, hostedZoneId: string): Promise<DnsPublisher> =>
  new Route53DnsPublisher(new (await sdk()).Route53Client({ region }), hostedZoneId);
