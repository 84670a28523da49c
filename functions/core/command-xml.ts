import type { ApiFlavor } from './api-flavor.js';
import type { ApiPermissions } from './api-access.js';
import type { Appliance } from './appliance.js';
import { close, element, isoSeconds, leaf, rootLeafDocument, rootOpen, startTag, unixSeconds, XML_DECLARATION, xmlText } from './xml.js';

/** get_api_info: API version, product version, server time and the caller's permissions. */
export function apiInfoXml(flavor: ApiFlavor, nowIso: string, p: ApiPermissions): string {
  const flag = (b: boolean) => (b ? '1' : '0');
  return (
    XML_DECLARATION +
    rootOpen('api_info', flavor.namespace) +
    leaf('api_version', flavor.apiVersion) +
    leaf('product_version', flavor.productVersion) +
    leaf('timestamp', unixSeconds(nowIso)) +
    element(
      'permissions',
      element(
        'permission',
        leaf('perm_backup', flag(p.backup)) +
          leaf('perm_configuration', '0') +
          leaf('perm_real_time_state', '0') +
          leaf('perm_reporting_archive', '0') +
          leaf('perm_reporting_license', '0') +
          leaf('perm_reporting_presentation', '0') +
          leaf('perm_reporting_support', flag(p.reporting)) +
          leaf('perm_command', p.command),
      ),
    ) +
    close('api_info')
  );
}

/**
 * check_health: one `<appliance>` whose text is the hostname. The failover sync elements come from
 * `appliance.failover` and are left out when failover is not configured (role none).
 */
export function checkHealthXml(flavor: ApiFlavor, a: Appliance): string {
  const f = a.failover;
  const failed = a.state === 'failed';
  const sync = f.role !== 'none' && f.lastSyncAt
    ? leaf('last_data_sync_time', isoSeconds(f.lastSyncAt), { ts: unixSeconds(f.lastSyncAt) }) + leaf('last_data_sync_status', f.lastSyncStatus ?? 'unknown')
    : '';
  return (
    XML_DECLARATION +
    rootOpen('appliances', flavor.namespace) +
    // Mixed content: the hostname is the appliance element's own text, on the start tag's line.
    `${startTag('appliance', { id: a.applianceId })}${xmlText(a.hostname)}\n` +
    leaf('version', a.productVersion) +
    leaf('success', failed ? '0' : '1') +
    (failed ? leaf('error_message', a.lastInstallError ?? 'the last software install failed') : '') +
    leaf('failover_role', f.role) +
    sync +
    close('appliance') +
    close('appliances')
  );
}

export const successXml = (flavor: ApiFlavor, message: string) => rootLeafDocument('success', flavor.namespace, message);
