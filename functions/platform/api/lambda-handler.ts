import { handle, streamHandle } from 'hono/aws-lambda';
import { servicesFromEnvironment, type SystemAdapters } from '../adapters/services.js';
import { log } from '../observability/logger.js';
import { createApp } from './app.js';
import type { Route } from './http.js';

type LambdaContext = Parameters<typeof log.addContext>[0];

/**
 * API Gateway (HTTP API v2) handler for one route group: the same Hono app as the local server, built
 * from that group's part of the route table. Each group has its own entry (functions/<system>/api/entries/), so a
 * function bundles only its own handlers, and with the adapters of its own system (`systems`, none for the
 * platform's `/health`). Log lines carry the Lambda context (request id, cold start).
 */
export const apiHandler = (routes: readonly Route[], ...systems: SystemAdapters[]) => {
  // API Gateway buffers the whole response: the run's event stream answers with a snapshot and says to poll.
  const app = handle(createApp(servicesFromEnvironment(...systems), routes, { bufferedResponses: true }));
  return (event: Parameters<typeof app>[0], context: LambdaContext) => {
    if (context) log.addContext(context);
    return app(event, context as Parameters<typeof app>[1]);
  };
};

/**
 * Lambda Function URL handler with response streaming (InvokeMode RESPONSE_STREAM) for a group's routes
 * marked `streaming`: a 100,000-session report (22 MB) leaves page by page instead of being buffered into
 * one API Gateway response, which Lambda caps at 6 MB. Same app and handlers.
 */
export const streamingHandler = (routes: readonly Route[], ...systems: SystemAdapters[]) => streamHandle(createApp(servicesFromEnvironment(...systems), routes.filter((r) => r.streaming)));
