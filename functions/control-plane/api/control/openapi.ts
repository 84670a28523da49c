/** OpenAPI 3.1 document of the control API, generated from the same zod schemas that validate requests. */
import * as z from 'zod/mini';
import '../../../platform/core/validation.js';
import type { ControlRoute } from './control-route.js';
import { schemas } from './schemas.js';
import { controlApiRoutes } from '../routes/control-routes.js';

type JsonSchema = Record<string, unknown>;

const strip = ({ $schema: _s, $id: _i, ...rest }: JsonSchema) => rest;
const ref = (schema: z.ZodMiniType): JsonSchema => {
  const id = schemas.get(schema)?.id;
  return id ? { $ref: `#/components/schemas/${id}` } : strip(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema);
};

function parameters(schema: z.ZodMiniType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: s }));
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

export function buildOpenApi(routes: readonly ControlRoute[], extra: { title?: string; version?: string } = {}) {
  const components = z.toJSONSchema(schemas, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, JsonSchema> };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const { params, query, body, response } = route.openapi;
    const isPost = route.method === 'POST';
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: `${route.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/(?:^|[/_-])(\w)/g, (_, ch: string) => ch.toUpperCase())}`,
      summary: route.summary,
      tags: [path.split('/')[2] ?? 'control'],
      security: [{ operatorToken: [] }],
      'x-required-role': route.role,
      parameters: [
        ...parameters(params, 'path'),
        ...parameters(query, 'query'),
        ...(isPost ? [{ name: 'Idempotency-Key', in: 'header', required: false, description: 'Retries with the same key and body replay the first response (24 h)', schema: { type: 'string', maxLength: 255 } }] : []),
      ],
      ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(body) } } } } : {}),
      responses: {
        [String(response.status)]: { description: response.description ?? 'OK', content: { [response.contentType ?? 'application/json']: { schema: ref(response.schema) } } },
        ...(route.method === 'GET' && !response.contentType ? { 304: { description: 'Not modified: the If-None-Match ETag is current' } } : {}),
        ...(params || query || body ? { 400: problem('Invalid request: `errors` lists each field path') } : {}),
        401: problem('Missing, unknown or expired operator token'),
        403: problem(`Needs the ${route.role} role (or self-approval is forbidden)`),
        // Path ids, and ids named in a body (pair, appliance, package), can be unknown.
        ...(params || body ? { 404: problem('Not found') } : {}),
        ...(isPost ? { 409: problem('Conflict (concurrent change, request with this Idempotency-Key in progress)'), 415: problem('Body is not application/json'), 422: problem('A domain rule refuses it (plan blocked, gate closed, Idempotency-Key reused with another body)') } : {}),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: extra.title ?? 'Appliance upgrade control API', version: extra.version ?? '1.0.0', description: 'Plan, schedule, run and approve appliance and failover-pair upgrades. Errors are RFC 9457 problem+json.' },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { operatorToken: { type: 'http', scheme: 'bearer', description: 'Operator token (roles: viewer, operator, approver)' } },
      schemas: Object.fromEntries(Object.entries(components.schemas).map(([id, s]) => [id, strip(s)])),
    },
    paths,
  };
}

/** The document as `npm run openapi` writes it (functions/control-plane/api/console/assets/openapi.json). */
export async function openApiText(): Promise<string> {
  return `${JSON.stringify(buildOpenApi(controlApiRoutes), null, 1)}\n`;
}
