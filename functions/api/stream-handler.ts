import { streamHandle } from 'hono/aws-lambda';
import { servicesFromEnvironment } from '../adapters/services.js';
import { createApp } from './app.js';
import { routes } from './routes.js';

/**
 * Lambda Function URL entry with response streaming (InvokeMode RESPONSE_STREAM) for the routes marked
 * `streaming`: a 100,000-session report (22 MB) leaves page by page instead of being buffered into one
 * API Gateway response, which Lambda caps at 6 MB. Same app, same route table, same handlers.
 */
export const handler = streamHandle(createApp(servicesFromEnvironment(), routes.filter((r) => r.streaming)));
