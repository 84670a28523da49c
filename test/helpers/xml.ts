import { validateXML } from 'xmllint-wasm';

/** Validates a document against a schema with libxml2 (xmllint compiled to WASM). */
export async function xsdErrors(xml: string, xsd: string): Promise<string[]> {
  const result = await validateXML({ xml: [{ fileName: 'response.xml', contents: xml }], schema: [{ fileName: 'schema.xsd', contents: xsd }] });
  return result.valid ? [] : result.errors.map((e) => e.rawMessage);
}

export async function expectValid(xml: string, xsd: string): Promise<void> {
  const errors = await xsdErrors(xml, xsd);
  if (errors.length > 0) throw new Error(`XML does not validate against the XSD:\n${errors.slice(0, 5).join('\n')}\n--- document (start) ---\n${xml.slice(0, 1500)}`);
}

/** Attribute values of `name="..."` on every `<element ...>` (enough for our flat test documents). */
export const attrsOf = (xml: string, element: string, name: string) =>
  [...xml.matchAll(new RegExp(`<${element}\\b[^>]*\\b${name}="([^"]*)"`, 'g'))].map((m) => m[1]!);

/** Validates many documents against one schema in a single libxml2 run (much faster than one run each). */
export async function expectAllValid(docs: readonly string[], xsd: string): Promise<void> {
  if (docs.length === 0) return;
  const result = await validateXML({ xml: docs.map((contents, i) => ({ fileName: `response-${i}.xml`, contents })), schema: [{ fileName: 'schema.xsd', contents: xsd }] });
  if (!result.valid) {
    const first = result.errors[0]!;
    const index = Number(/response-(\d+)\.xml/.exec(first.rawMessage)?.[1] ?? -1);
    throw new Error(`XML does not validate against the XSD:\n${result.errors.slice(0, 5).map((e) => e.rawMessage).join('\n')}\n--- document ${index} ---\n${docs[index]?.slice(0, 1500)}`);
  }
}
