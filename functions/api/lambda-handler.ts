import { handle } from 'hono/aws-lambda';
import { servicesFromEnvironment } from '../adapters/services.js';
import { createApp } from './app.js';
import { routes } from './routes.js';

/** API Gateway (HTTP API v2) entry: the same Hono app and route table as the local server. */
export const handler = handle(createApp(servicesFromEnvironment(), routes));
