/**
 * Minimal, safe XML text building for the appliance APIs. Every value that comes from data or from a
 * request goes through `xmlText`/`xmlAttr`, so parameters carrying markup stay text and the document
 * stays well-formed (characters XML 1.0 forbids are replaced, never passed through).
 */

// Characters outside the XML 1.0 Char production (C0 controls, lone surrogates, U+FFFE/U+FFFF).
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
const ATTR_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;' };

/** Escapes a value for element content. */
export const xmlText = (value: string | number): string =>
  String(value).replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!);

/** Escapes a value for a double-quoted attribute (whitespace kept through attribute normalization). */
export const xmlAttr = (value: string | number): string =>
  String(value).replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ESCAPES[c]!);

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/*
 * The appliance writes one element per line (line-oriented integrations count and grep lines), so every
 * writer below ends what it writes with a newline: a leaf is one line, a parent is its start tag, its
 * children's lines and its end tag. Text never contains a raw newline in element content of a leaf
 * that a line-based reader would split: values keep theirs (XML allows it), but ids, names and numbers do not.
 */

/** `<name attrs>text</name>\n` with escaping; `undefined` values render nothing. */
export function leaf(name: string, text: string | number | undefined, attrs: Record<string, string | number | undefined> = {}): string {
  if (text === undefined) return '';
  return `<${name}${attributes(attrs)}>${xmlText(text)}</${name}>\n`;
}

/** A start tag (no newline: for mixed content, where the element's own text follows on its line). */
export const startTag = (name: string, attrs: Record<string, string | number | undefined> = {}) => `<${name}${attributes(attrs)}>`;
/** A start tag on its own line. */
export const open = (name: string, attrs: Record<string, string | number | undefined> = {}) => `${startTag(name, attrs)}\n`;
/** An end tag on its own line. */
export const close = (name: string) => `</${name}>\n`;
/** A parent element: start tag, the children's lines, end tag. */
export const element = (name: string, children: string, attrs: Record<string, string | number | undefined> = {}) => open(name, attrs) + children + close(name);
/** An element with no content, on its own line. */
export const empty = (name: string, attrs: Record<string, string | number | undefined> = {}) => `<${name}${attributes(attrs)}/>\n`;

export function attributes(attrs: Record<string, string | number | undefined>): string {
  let out = '';
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) out += ` ${k}="${xmlAttr(v)}"`;
  return out;
}

/** The root start tag, with the API namespace for API ≥ 1.5.0 (product 10.6) and without it before. */
export const rootTag = (name: string, namespace: string | undefined, attrs: Record<string, string | number | undefined> = {}) =>
  `<${name}${namespace ? ` xmlns="${xmlAttr(namespace)}"` : ''}${attributes(attrs)}>`;
/** The root start tag on its own line. */
export const rootOpen = (name: string, namespace: string | undefined, attrs: Record<string, string | number | undefined> = {}) =>
  `${rootTag(name, namespace, attrs)}\n`;
/** A whole document whose root is a leaf (`<success>…</success>`, `<error>…</error>`): declaration and one line. */
export const rootLeafDocument = (name: string, namespace: string | undefined, text: string, attrs: Record<string, string | number | undefined> = {}) =>
  `${XML_DECLARATION}${rootTag(name, namespace, attrs)}${xmlText(text)}</${name}>\n`;

/** ISO 8601 with an explicit offset, as the appliance writes it (`2010-10-08T19:27:19+00:00`). */
export const isoSeconds = (iso: string) => `${new Date(iso).toISOString().slice(0, 19)}+00:00`;
export const unixSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** `HH:MM:SS` (hours may exceed 99). */
export function hms(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}
