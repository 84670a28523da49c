import type { ApiFlavor } from './api-flavor.js';
import { actionsOf, hasCompanyName, hasSplitDisplayNames } from './command-xml.js';

/**
 * The schemas an appliance serves at /api/reporting.xsd and /api/command.xsd. One source, two flavors:
 * API ≥ 1.5.0 has targetNamespace = the API namespace (and lsid as a 32-hex GUID plus lseq);
 * older APIs have no namespace, an integer lsid and no lseq.
 */
function schemaOpen(flavor: ApiFlavor): string {
  const ns = flavor.namespace ? ` targetNamespace="${flavor.namespace}" xmlns="${flavor.namespace}"` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"${ns} elementFormDefault="qualified" version="${flavor.apiVersion}">
  <xs:element name="error">
    <xs:complexType><xs:simpleContent><xs:extension base="xs:string">
      <xs:attribute name="code" type="xs:string"/>
    </xs:extension></xs:simpleContent></xs:complexType>
  </xs:element>
`;
}

const lsidType = (flavor: ApiFlavor) =>
  flavor.guidLsid
    ? `<xs:simpleType name="lsidType"><xs:restriction base="xs:string"><xs:pattern value="[0-9a-f]{32}"/></xs:restriction></xs:simpleType>`
    : `<xs:simpleType name="lsidType"><xs:restriction base="xs:positiveInteger"/></xs:simpleType>`;

const lseq = (flavor: ApiFlavor) => (flavor.guidLsid ? '<xs:element name="lseq" type="xs:nonNegativeInteger" minOccurs="0"/>' : '');

export function reportingXsd(flavor: ApiFlavor): string {
  return `${schemaOpen(flavor)}  ${lsidType(flavor)}
  <xs:complexType name="timestampType"><xs:simpleContent><xs:extension base="xs:dateTime">
    <xs:attribute name="timestamp" type="xs:nonNegativeInteger" use="required"/>
  </xs:extension></xs:simpleContent></xs:complexType>
  <xs:element name="session_list">
    <xs:complexType><xs:sequence>
      <xs:element ref="error" minOccurs="0"/>
      <xs:element name="session" minOccurs="0" maxOccurs="unbounded">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="session_type" type="xs:string"/>
            ${lseq(flavor)}
            <xs:element name="start_time" type="timestampType"/>
            <xs:element name="end_time" type="timestampType" minOccurs="0"/>
            <xs:element name="duration" minOccurs="0"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="[0-9]{2,}:[0-5][0-9]:[0-5][0-9]"/></xs:restriction></xs:simpleType></xs:element>
            <xs:element name="public_site">
              <xs:complexType><xs:simpleContent><xs:extension base="xs:string">
                <xs:attribute name="id" type="xs:nonNegativeInteger" use="required"/>
              </xs:extension></xs:simpleContent></xs:complexType>
            </xs:element>
            <xs:element name="external_key" type="xs:string"/>
            <xs:element name="file_transfer_count" type="xs:nonNegativeInteger"/>
            <xs:element name="customer_list">
              <xs:complexType><xs:sequence>
                <xs:element name="customer" maxOccurs="unbounded">
                  <xs:complexType>
                    <xs:sequence>
                      <xs:element name="username" type="xs:string"/>
                      <xs:element name="hostname" type="xs:string"/>
                    </xs:sequence>
                    <xs:attribute name="gsnumber" type="xs:positiveInteger" use="required"/>
                  </xs:complexType>
                </xs:element>
              </xs:sequence></xs:complexType>
            </xs:element>
            <xs:element name="rep_list">
              <xs:complexType><xs:sequence>
                <xs:element name="representative" minOccurs="0" maxOccurs="unbounded">
                  <xs:complexType>
                    <xs:sequence><xs:element name="display_name" type="xs:string"/></xs:sequence>
                    <xs:attribute name="gsnumber" type="xs:positiveInteger" use="required"/>
                  </xs:complexType>
                </xs:element>
              </xs:sequence></xs:complexType>
            </xs:element>
            <xs:element name="end_reason" type="xs:string" minOccurs="0"/>
          </xs:sequence>
          <xs:attribute name="lsid" type="lsidType" use="required"/>
        </xs:complexType>
      </xs:element>
    </xs:sequence></xs:complexType>
  </xs:element>
  <xs:element name="session_summary_list">
    <xs:complexType><xs:sequence>
      <xs:element ref="error" minOccurs="0"/>
      <xs:element name="session_summary" minOccurs="0" maxOccurs="unbounded">
        <xs:complexType>
          <xs:sequence>
            ${lseq(flavor)}
            <xs:element name="start_time" type="timestampType"/>
            <xs:element name="external_key" type="xs:string"/>
            <xs:element name="has_recording" type="xs:boolean"/>
          </xs:sequence>
          <xs:attribute name="lsid" type="lsidType" use="required"/>
        </xs:complexType>
      </xs:element>
    </xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>
`;
}

/** A root that holds either an `<error>` or its normal content (the vendor: "If an error occurs, it will contain an <error> element"). */
const rootOrError = (name: string, content: string, attributes = '') =>
  `  <xs:element name="${name}">
    <xs:complexType><xs:choice>
      <xs:element ref="error"/>
      <xs:sequence>
${content}
      </xs:sequence>
    </xs:choice>${attributes}</xs:complexType>
  </xs:element>
`;
const el = (name: string, type: string, occurs = '') => `        <xs:element name="${name}" type="${type}"${occurs}/>`;

/** The command API schema of one API version: exactly the actions that version has (functions/core/command-xml.ts). */
export function commandXsd(flavor: ApiFlavor): string {
  const has = new Set<string>(actionsOf(flavor));
  const split = hasSplitDisplayNames(flavor);
  const perms = ['perm_backup', 'perm_command', 'perm_configuration', 'perm_configuration_vault_account', 'perm_ecm', 'perm_real_time_state', 'perm_reporting_archive', 'perm_reporting_license', 'perm_reporting_presentation', 'perm_reporting_support'];
  const parts: string[] = [];
  parts.push(`  <xs:simpleType name="flagType"><xs:restriction base="xs:string"><xs:enumeration value="0"/><xs:enumeration value="1"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="failoverRoleType"><xs:restriction base="xs:string"><xs:enumeration value="none"/><xs:enumeration value="primary"/><xs:enumeration value="backup"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="clientType"><xs:restriction base="xs:string"><xs:enumeration value="representative"/><xs:enumeration value="support_customer"/><xs:enumeration value="presentation_attendee"/><xs:enumeration value="push_agent"/><xs:enumeration value="pinned_client"/></xs:restriction></xs:simpleType>
  <xs:complexType name="tsDateType"><xs:simpleContent><xs:extension base="xs:dateTime">
    <xs:attribute name="ts" type="xs:nonNegativeInteger" use="required"/>
  </xs:extension></xs:simpleContent></xs:complexType>
  <xs:complexType name="idTextType"><xs:simpleContent><xs:extension base="xs:string">
    <xs:attribute name="id" type="xs:string" use="required"/>
  </xs:extension></xs:simpleContent></xs:complexType>
  <xs:element name="success" type="xs:string"/>
`);
  parts.push(
    rootOrError(
      'get_api_info',
      [
        el('api_version', 'xs:string'),
        ...(hasCompanyName(flavor) ? [el('company_name', 'xs:string')] : []),
        el('timestamp', 'xs:nonNegativeInteger'),
        `        <xs:element name="permissions" minOccurs="0"><xs:complexType><xs:sequence>
          <xs:element name="permission" maxOccurs="unbounded"><xs:complexType><xs:sequence>
${perms.map((f) => (f === 'perm_command' ? '            <xs:element name="perm_command"><xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value="full"/><xs:enumeration value="read_only"/><xs:enumeration value="deny"/></xs:restriction></xs:simpleType></xs:element>' : `            <xs:element name="${f}" type="flagType"/>`)).join('\n')}
          </xs:sequence></xs:complexType></xs:element>
        </xs:sequence></xs:complexType></xs:element>`,
      ].join('\n'),
    ),
  );
  parts.push(
    rootOrError(
      'check_health',
      [
        el('appliance', 'idTextType'),
        el('version', 'xs:string'),
        el('success', 'flagType'),
        el('error_message', 'xs:string', ' minOccurs="0"'),
        el('failover_role', 'failoverRoleType'),
        `        <xs:element name="enabled_shared_ips" minOccurs="0"><xs:complexType><xs:sequence><xs:element name="ip" type="xs:string" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>`,
        el('last_data_sync_time', 'tsDateType', ' minOccurs="0"'),
        el('last_data_sync_status', 'xs:string', ' minOccurs="0"'),
      ].join('\n'),
    ),
  );
  parts.push(
    rootOrError(
      'logged_in_reps',
      `        <xs:element name="rep" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
          <xs:element name="display_name" type="xs:string"/>
${split ? '          <xs:element name="public_display_name" type="xs:string"/>\n          <xs:element name="private_display_name" type="xs:string"/>\n' : ''}          <xs:element name="type" type="xs:string"/>
          <xs:element name="direct_link" type="xs:string"/>
          <xs:element name="logged_in_since" type="tsDateType"/>
          <xs:element name="presentation_count" type="xs:nonNegativeInteger"/>
          <xs:element name="support_session_count" type="xs:nonNegativeInteger"/>
          <xs:element name="showing_on_rep_list" type="flagType"/>
        </xs:sequence><xs:attribute name="id" type="xs:positiveInteger" use="required"/></xs:complexType></xs:element>`,
    ),
  );
  parts.push(
    rootOrError(
      'support_teams',
      `        <xs:element name="support_team" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
          <xs:element name="name" type="xs:string"/>
          <xs:element name="code_name" type="xs:string"/>
          <xs:element name="members" minOccurs="0"><xs:complexType><xs:sequence>
            <xs:element name="representative" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
              <xs:element name="display_name" type="xs:string"/>
            </xs:sequence><xs:attribute name="id" type="xs:positiveInteger" use="required"/></xs:complexType></xs:element>
          </xs:sequence></xs:complexType></xs:element>
        </xs:sequence><xs:attribute name="id" type="xs:positiveInteger" use="required"/></xs:complexType></xs:element>`,
    ),
  );
  parts.push(
    rootOrError(
      'session_key',
      [
        el('type', 'xs:string'),
        el('ttl', 'xs:positiveInteger'),
        el('expires', 'xs:nonNegativeInteger'),
        el('queue', 'xs:string'),
        el('queue_id', 'xs:string'),
        el('external_key', 'xs:string'),
        `        <xs:element name="short_key"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="[1-9][0-9]{6}"/></xs:restriction></xs:simpleType></xs:element>`,
        el('key_url', 'xs:anyURI'),
        el('mail_subject', 'xs:string'),
        el('mail_body', 'xs:string'),
      ].join('\n'),
    ),
  );
  if (has.has('get_session_attributes')) {
    parts.push(
      rootOrError(
        'custom_attributes',
        `        <xs:element name="custom_attribute" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:simpleContent><xs:extension base="xs:string">
          <xs:attribute name="display_name" type="xs:string" use="required"/>
          <xs:attribute name="code_name" type="xs:string" use="required"/>
        </xs:extension></xs:simpleContent></xs:complexType></xs:element>`,
      ),
    );
  }
  if (has.has('get_appliances')) {
    parts.push(
      rootOrError(
        'appliances',
        `        <xs:element name="appliance" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
          <xs:element name="name" type="xs:string"/>
          <xs:element name="public_hostname" type="xs:string"/>
          <xs:element name="cluster_role"><xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value="single"/><xs:enumeration value="primary"/><xs:enumeration value="traffic"/></xs:restriction></xs:simpleType></xs:element>
          <xs:element name="failover_role" type="failoverRoleType"/>
          <xs:element name="accepting_connections" type="flagType"/>
          <xs:element name="timezone_offset" type="xs:integer"/>
        </xs:sequence><xs:attribute name="id" type="xs:string" use="required"/></xs:complexType></xs:element>`,
      ),
    );
  }
  if (has.has('get_connected_client_list')) {
    parts.push(
      rootOrError(
        'connected_client_list',
        `        <xs:element name="connected_client_summary"><xs:complexType><xs:sequence>
          <xs:element name="appliance_summary" maxOccurs="unbounded"><xs:complexType><xs:sequence>
            <xs:element name="count" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:simpleContent><xs:extension base="xs:nonNegativeInteger">
              <xs:attribute name="type" type="clientType" use="required"/>
            </xs:extension></xs:simpleContent></xs:complexType></xs:element>
          </xs:sequence><xs:attribute name="id" type="xs:string" use="required"/></xs:complexType></xs:element>
        </xs:sequence></xs:complexType></xs:element>
        <xs:element name="connected_client" minOccurs="0" maxOccurs="unbounded"><xs:complexType>
          <xs:attribute name="type" type="clientType" use="required"/>
          <xs:attribute name="id" type="xs:string" use="required"/>
        </xs:complexType></xs:element>`,
      ),
    );
    const client = (name: string) => `        <xs:element name="${name}" type="connectedClientType"/>`;
    parts.push(`  <xs:complexType name="connectedClientType"><xs:sequence>
    <xs:element name="client_connections" minOccurs="0"><xs:complexType><xs:sequence>
      <xs:element name="client_connection" minOccurs="0" maxOccurs="unbounded"><xs:complexType>
        <xs:attribute name="appliance_id" type="xs:string" use="required"/>
        <xs:attribute name="connected_since" type="xs:nonNegativeInteger" use="required"/>
      </xs:complexType></xs:element>
    </xs:sequence></xs:complexType></xs:element>
    <xs:element name="event_log" minOccurs="0"><xs:complexType/></xs:element>
    <xs:element name="hostname" type="xs:string"/>
    <xs:element name="platform" type="idTextType"/>
    <xs:element name="timezone_offset" type="xs:integer"/>
    <xs:element name="connected_since" type="tsDateType"/>
  </xs:sequence><xs:attribute name="id" type="xs:string" use="required"/></xs:complexType>
`);
    parts.push(
      rootOrError(
        'connected_clients',
        `        <xs:choice minOccurs="0" maxOccurs="unbounded">
${['connected_representative', 'connected_support_customer', 'connected_presentation_attendee', 'connected_push_agent'].map((n) => `  ${client(n)}`).join('\n')}
        </xs:choice>`,
      ),
    );
  }
  return `${schemaOpen(flavor)}${parts.join('')}</xs:schema>
`;
}
