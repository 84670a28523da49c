import type { ApiFlavor } from './api-flavor.js';
import type { ApiPermissions } from './api-access.js';
import type { Appliance } from './appliance.js';
import { isoSeconds, leaf, rootOpen, unixSeconds, XML_DECLARATION, xmlAttr, xmlText } from './xml.js';

/** get_api_info: API version, product version, server time and the caller's permissions. */
export function apiInfoXml(flavor: ApiFlavor, nowIso: string, p: ApiPermissions): string {
  const flag = (b: boolean) => (b ? '1' : '0');
  return (
    XML_DECLARATION +
    rootOpen('api_info', flavor.namespace) +
    leaf('api_version', flavor.apiVersion) +
    leaf('product_version', flavor.productVersion) +
    leaf('timestamp', unixSeconds(nowIso)) +
    '<permissions><permission>' +
    leaf('perm_backup', flag(p.backup)) +
    leaf('perm_configuration', '0') +
    leaf('perm_real_time_state', '0') +
    leaf('perm_reporting_archive', '0') +
    leaf('perm_reporting_license', '0') +
    leaf('perm_reporting_presentation', '0') +
    leaf('perm_reporting_support', flag(p.reporting)) +
    leaf('perm_command', p.command) +
    '</permission></permissions></api_info>\n'
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
    ? `<last_data_sync_time ts="${unixSeconds(f.lastSyncAt)}">${isoSeconds(f.lastSyncAt)}</last_data_sync_time>` + leaf('last_data_sync_status', f.lastSyncStatus ?? 'unknown')
    : '';
  return (
    XML_DECLARATION +
    rootOpen('appliances', flavor.namespace) +
    `<appliance id="${xmlAttr(a.applianceId)}">${xmlText(a.hostname)}` +
    leaf('version', a.productVersion) +
    leaf('success', failed ? '0' : '1') +
    (failed ? leaf('error_message', a.lastInstallError ?? 'the last software install failed') : '') +
    leaf('failover_role', f.role) +
    sync +
    '</appliance></appliances>\n'
  );
}

export const successXml = (flavor: ApiFlavor, message: string) => `${XML_DECLARATION}${rootOpen('success', flavor.namespace)}${xmlText(message)}</success>\n`;
