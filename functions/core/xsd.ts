import type { ApiFlavor } from './api-flavor.js';

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

export function commandXsd(flavor: ApiFlavor): string {
  const flags = ['perm_backup', 'perm_configuration', 'perm_real_time_state', 'perm_reporting_archive', 'perm_reporting_license', 'perm_reporting_presentation', 'perm_reporting_support'];
  return `${schemaOpen(flavor)}  <xs:simpleType name="flagType"><xs:restriction base="xs:string"><xs:enumeration value="0"/><xs:enumeration value="1"/></xs:restriction></xs:simpleType>
  <xs:element name="success" type="xs:string"/>
  <xs:element name="api_info">
    <xs:complexType><xs:sequence>
      <xs:element name="api_version" type="xs:string"/>
      <xs:element name="product_version" type="xs:string"/>
      <xs:element name="timestamp" type="xs:nonNegativeInteger"/>
      <xs:element name="permissions">
        <xs:complexType><xs:sequence>
          <xs:element name="permission" maxOccurs="unbounded">
            <xs:complexType><xs:sequence>
${flags.map((f) => `              <xs:element name="${f}" type="flagType"/>`).join('\n')}
              <xs:element name="perm_command">
                <xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value="full"/><xs:enumeration value="read_only"/><xs:enumeration value="deny"/></xs:restriction></xs:simpleType>
              </xs:element>
            </xs:sequence></xs:complexType>
          </xs:element>
        </xs:sequence></xs:complexType>
      </xs:element>
    </xs:sequence></xs:complexType>
  </xs:element>
  <xs:element name="appliances">
    <xs:complexType><xs:sequence>
      <xs:element name="appliance" maxOccurs="unbounded">
        <xs:complexType mixed="true">
          <xs:sequence>
            <xs:element name="version" type="xs:string"/>
            <xs:element name="success" type="flagType"/>
            <xs:element name="error_message" type="xs:string" minOccurs="0"/>
            <xs:element name="failover_role">
              <xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value="none"/><xs:enumeration value="primary"/><xs:enumeration value="backup"/></xs:restriction></xs:simpleType>
            </xs:element>
            <xs:element name="last_data_sync_time" minOccurs="0">
              <xs:complexType><xs:simpleContent><xs:extension base="xs:dateTime">
                <xs:attribute name="ts" type="xs:nonNegativeInteger" use="required"/>
              </xs:extension></xs:simpleContent></xs:complexType>
            </xs:element>
            <xs:element name="last_data_sync_status" type="xs:string" minOccurs="0"/>
          </xs:sequence>
          <xs:attribute name="id" type="xs:string" use="required"/>
        </xs:complexType>
      </xs:element>
    </xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>
`;
}
