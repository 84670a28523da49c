import type { ApiFlavor } from './api-flavor.js';
import { actionsOf, hasCompanyName, hasSplitDisplayNames } from './command-xml.js';
import { REPORT_SINCE } from './report-query.js';
import { CUSTOM_ATTRIBUTES_SINCE } from './report-xml.js';
import { isAtLeast } from '../../platform/core/versions.js';

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

/** A text element with attributes: `<name a="...">text</name>`. */
const textWith = (name: string, attrs: string, extra = '') =>
  `<xs:element name="${name}"${extra}><xs:complexType><xs:simpleContent><xs:extension base="xs:string">${attrs}</xs:extension></xs:simpleContent></xs:complexType></xs:element>`;
const attr = (name: string, type: string, required = true) => `<xs:attribute name="${name}" type="${type}"${required ? ' use="required"' : ''}/>`;
/** A report root: its content, or (a refusal of the request) a single `<error>`. */
const reportRoot = (name: string, content: string) => `
  <xs:element name="${name}">
    <xs:complexType><xs:choice>
      <xs:element ref="error"/>
      <xs:sequence>${content}</xs:sequence>
    </xs:choice></xs:complexType>
  </xs:element>`;

/**
 * Every report this emulator writes, per API version: lseq and GUID lsids from 1.5.0, custom_attributes
 * from 1.11.0, LicenseUsage's root from 1.10.0 (docs/vendor-api.md §5 gives each element's source).
 */
export function reportingXsd(flavor: ApiFlavor): string {
  const since = (version: string, xsd: string) => (isAtLeast(flavor.apiVersion, version) ? xsd : '');
  return `${schemaOpen(flavor)}  ${lsidType(flavor)}
  <xs:simpleType name="flagType"><xs:restriction base="xs:string"><xs:enumeration value="0"/><xs:enumeration value="1"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="durationType"><xs:restriction base="xs:string"><xs:pattern value="[0-9]{2,}:[0-5][0-9]:[0-5][0-9]"/></xs:restriction></xs:simpleType>
  <xs:complexType name="timestampType"><xs:simpleContent><xs:extension base="xs:dateTime">
    <xs:attribute name="timestamp" type="xs:nonNegativeInteger" use="required"/>
  </xs:extension></xs:simpleContent></xs:complexType>
  <xs:complexType name="actorType"><xs:simpleContent><xs:extension base="xs:string">
    <xs:attribute name="type" use="required"><xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value="system"/><xs:enumeration value="representative"/><xs:enumeration value="customer"/></xs:restriction></xs:simpleType></xs:attribute>
    <xs:attribute name="gsnumber" type="xs:nonNegativeInteger" use="required"/>
  </xs:extension></xs:simpleContent></xs:complexType>
  <xs:complexType name="valueType">${attr('name', 'xs:string')}${attr('value', 'xs:string')}</xs:complexType>
  <xs:complexType name="dataType"><xs:sequence><xs:element name="value" type="valueType" maxOccurs="unbounded"/></xs:sequence></xs:complexType>
  <xs:complexType name="participantType"><xs:simpleContent><xs:extension base="xs:string">
    <xs:attribute name="gsnumber" type="xs:nonNegativeInteger" use="required"/>
    <xs:attribute name="id" type="xs:positiveInteger"/>
  </xs:extension></xs:simpleContent></xs:complexType>
  <xs:complexType name="embeddedSurveyType">
    <xs:sequence><xs:element name="value" type="valueType" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
    <xs:attribute name="gsnumber" type="xs:nonNegativeInteger" use="required"/>
  </xs:complexType>
${reportRoot(
  'session_list',
  `
      <xs:element name="session" minOccurs="0" maxOccurs="unbounded">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="session_type" type="xs:string"/>
            ${lseq(flavor)}
            <xs:element name="start_time" type="timestampType"/>
            <xs:element name="end_time" type="timestampType" minOccurs="0"/>
            <xs:element name="duration" type="durationType" minOccurs="0"/>
            ${textWith('public_site', attr('id', 'xs:nonNegativeInteger'))}
            <xs:element name="external_key" type="xs:string"/>
            ${since(
              CUSTOM_ATTRIBUTES_SINCE,
              `<xs:element name="custom_attributes">
              <xs:complexType><xs:sequence>
                ${textWith('custom_attribute', attr('display_name', 'xs:string') + attr('code_name', 'xs:string'), ' minOccurs="0" maxOccurs="unbounded"')}
              </xs:sequence></xs:complexType>
            </xs:element>`,
            )}
            <xs:element name="session_chat_view_url" type="xs:string"/>
            <xs:element name="session_chat_download_url" type="xs:string"/>
            <xs:element name="file_transfer_count" type="xs:nonNegativeInteger"/>
            <xs:element name="primary_customer" type="participantType" minOccurs="0"/>
            <xs:element name="primary_rep" type="participantType" minOccurs="0"/>
            <xs:element name="customer_list">
              <xs:complexType><xs:sequence>
                <xs:element name="customer" minOccurs="0" maxOccurs="unbounded">
                  <xs:complexType>
                    <xs:sequence>
                      <xs:element name="primary_cust" type="flagType"/>
                      <xs:element name="info">
                        <xs:complexType><xs:sequence>
                          <xs:element name="name" type="xs:string"/>
                          <xs:element name="company" type="xs:string"/>
                          <xs:element name="company_code" type="xs:string"/>
                          <xs:element name="issue" type="xs:string"/>
                          <xs:element name="details" type="xs:string"/>
                        </xs:sequence></xs:complexType>
                      </xs:element>
                      <xs:element name="username" type="xs:string"/>
                      <xs:element name="public_ip" type="xs:string" minOccurs="0"/>
                      <xs:element name="private_ip" type="xs:string" minOccurs="0"/>
                      <xs:element name="hostname" type="xs:string" minOccurs="0"/>
                      <xs:element name="os" type="xs:string" minOccurs="0"/>
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
                    <xs:sequence>
                      <xs:element name="primary_rep" type="flagType"/>
                      <xs:element name="username" type="xs:string"/>
                      <xs:element name="display_name" type="xs:string"/>
                      <xs:element name="public_ip" type="xs:string" minOccurs="0"/>
                      <xs:element name="private_ip" type="xs:string" minOccurs="0"/>
                      <xs:element name="hostname" type="xs:string" minOccurs="0"/>
                      <xs:element name="os" type="xs:string" minOccurs="0"/>
                      <xs:element name="seconds_involved" type="xs:nonNegativeInteger"/>
                    </xs:sequence>
                    <xs:attribute name="gsnumber" type="xs:positiveInteger" use="required"/>
                    <xs:attribute name="id" type="xs:positiveInteger"/>
                  </xs:complexType>
                </xs:element>
              </xs:sequence></xs:complexType>
            </xs:element>
            <xs:element name="cust_survey_list" minOccurs="0">
              <xs:complexType><xs:sequence><xs:element name="cust_exit_survey" type="embeddedSurveyType" maxOccurs="unbounded"/></xs:sequence></xs:complexType>
            </xs:element>
            <xs:element name="rep_survey_list" minOccurs="0">
              <xs:complexType><xs:sequence><xs:element name="rep_exit_survey" type="embeddedSurveyType" maxOccurs="unbounded"/></xs:sequence></xs:complexType>
            </xs:element>
            <xs:element name="session_details">
              <xs:complexType><xs:sequence>
                <xs:element name="event" minOccurs="0" maxOccurs="unbounded">
                  <xs:complexType>
                    <xs:sequence>
                      <xs:element name="performed_by" type="actorType" minOccurs="0"/>
                      <xs:element name="destination" type="actorType" minOccurs="0"/>
                      <xs:element name="body" type="xs:string" minOccurs="0"/>
                      <xs:element name="data" type="dataType" minOccurs="0"/>
                    </xs:sequence>
                    ${attr('timestamp', 'xs:nonNegativeInteger')}
                    ${attr('event_type', 'xs:string')}
                  </xs:complexType>
                </xs:element>
              </xs:sequence></xs:complexType>
            </xs:element>
          </xs:sequence>
          <xs:attribute name="lsid" type="lsidType" use="required"/>
        </xs:complexType>
      </xs:element>`,
)}
${reportRoot(
  'session_summary_list',
  `
      <xs:element name="session_summary" minOccurs="0" maxOccurs="unbounded">
        <xs:complexType>
          <xs:attribute name="lsid" type="lsidType" use="required"/>
          <xs:attribute name="external_key" type="xs:string"/>
          <xs:attribute name="has_recording" type="flagType" use="required"/>
        </xs:complexType>
      </xs:element>`,
)}
${reportRoot(
  'summary_list',
  `
      <xs:element name="summary" minOccurs="0" maxOccurs="unbounded">
        <xs:complexType><xs:sequence>
          <xs:choice>
            ${textWith('representative', attr('id', 'xs:positiveInteger', false))}
            ${textWith('team', attr('id', 'xs:positiveInteger'))}
            ${textWith('public_site', attr('id', 'xs:nonNegativeInteger'))}
          </xs:choice>
          <xs:element name="session_count" type="xs:nonNegativeInteger"/>
          <xs:element name="completed_session_count" type="xs:nonNegativeInteger"/>
          <xs:element name="total_duration" type="durationType"/>
          <xs:element name="average_duration" type="durationType"/>
        </xs:sequence></xs:complexType>
      </xs:element>`,
)}
${reportRoot(
  'exit_survey_list',
  `
      <xs:element name="exit_survey" minOccurs="0" maxOccurs="unbounded">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="submitted_by">
              <xs:complexType><xs:simpleContent><xs:extension base="xs:string">
                <xs:attribute name="type" use="required"><xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value="customer"/><xs:enumeration value="rep"/></xs:restriction></xs:simpleType></xs:attribute>
                <xs:attribute name="gsnumber" type="xs:nonNegativeInteger" use="required"/>
              </xs:extension></xs:simpleContent></xs:complexType>
            </xs:element>
            <xs:element name="primary_customer" type="participantType" minOccurs="0"/>
            <xs:element name="primary_rep" type="participantType" minOccurs="0"/>
            <xs:element name="question_list">
              <xs:complexType><xs:sequence>
                <xs:element name="question" minOccurs="0" maxOccurs="unbounded">
                  <xs:complexType>
                    <xs:sequence>
                      <xs:element name="type" type="xs:string"/>
                      <xs:element name="label" type="xs:string"/>
                      <xs:element name="name" type="xs:string"/>
                      <xs:element name="report_header" type="xs:string"/>
                      <xs:element name="answer_list"><xs:complexType><xs:sequence><xs:element name="answer" type="xs:string" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
                    </xs:sequence>
                    <xs:attribute name="id" type="xs:nonNegativeInteger" use="required"/>
                  </xs:complexType>
                </xs:element>
              </xs:sequence></xs:complexType>
            </xs:element>
          </xs:sequence>
          <xs:attribute name="lsid" type="lsidType" use="required"/>
          <xs:attribute name="timestamp" type="xs:nonNegativeInteger" use="required"/>
        </xs:complexType>
      </xs:element>`,
)}
${reportRoot(
  'team_activity_list',
  `
      <xs:element name="start_time" type="timestampType"/>
      <xs:element name="end_time" type="timestampType"/>
      <xs:element name="team_activity" minOccurs="0" maxOccurs="unbounded">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="name" type="xs:string"/>
            <xs:element name="events">
              <xs:complexType><xs:sequence>
                <xs:element name="event" minOccurs="0" maxOccurs="unbounded">
                  <xs:complexType>
                    <xs:sequence>
                      <xs:element name="performed_by">
                        <xs:complexType><xs:simpleContent><xs:extension base="xs:string">
                          <xs:attribute name="type" use="required"><xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value="system"/><xs:enumeration value="representative"/></xs:restriction></xs:simpleType></xs:attribute>
                          <xs:attribute name="id" type="xs:positiveInteger"/>
                        </xs:extension></xs:simpleContent></xs:complexType>
                      </xs:element>
                      <xs:element name="data" type="dataType"/>
                    </xs:sequence>
                    ${attr('timestamp', 'xs:nonNegativeInteger')}
                    ${attr('event_type', 'xs:string')}
                  </xs:complexType>
                </xs:element>
              </xs:sequence></xs:complexType>
            </xs:element>
          </xs:sequence>
          <xs:attribute name="id" type="xs:positiveInteger" use="required"/>
        </xs:complexType>
      </xs:element>`,
)}
${since(
  REPORT_SINCE.LicenseUsage,
  reportRoot(
    'license_usage',
    `
      <xs:element name="start_time" type="timestampType"/>
      <xs:element name="end_time" type="timestampType"/>
      <xs:element name="group_by"><xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value="hour"/><xs:enumeration value="day"/><xs:enumeration value="month"/></xs:restriction></xs:simpleType></xs:element>
      <xs:element name="license_time_intervals">
        <xs:complexType><xs:sequence>
          <xs:element name="license_time_interval" minOccurs="0" maxOccurs="unbounded">
            <xs:complexType><xs:sequence>
              <xs:element name="start_time" type="timestampType"/>
              <xs:element name="end_time" type="timestampType"/>
              <xs:element name="logged_in_rep_count" type="xs:nonNegativeInteger"/>
              <xs:element name="extended_availability_rep_count" type="xs:nonNegativeInteger"/>
              <xs:element name="licenses_in_use" type="xs:nonNegativeInteger"/>
              <xs:element name="license_count" type="xs:nonNegativeInteger"/>
            </xs:sequence></xs:complexType>
          </xs:element>
        </xs:sequence></xs:complexType>
      </xs:element>`,
  ),
)}
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

/** The command API schema of one API version: exactly the actions that version has (functions/emulator/core/command-xml.ts). */
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
