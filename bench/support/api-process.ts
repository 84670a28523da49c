/**
 * The HTTP API alone (the same app and route table as Lambda and `npm start`), pointed at emulators
 * that run in another process, so a benchmark can measure the memory of the upload path by itself.
 * Prints `{"port": N}` on stdout when listening.
 */
import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../functions/platform/adapters/config.js';
import { buildServices } from '../../functions/platform/adapters/services.js';
import { controlPlaneAdapters } from '../../functions/control-plane/adapters/control-plane-services.js';
import { emulatorAdapters } from '../../functions/emulator/adapters/emulator-services.js';
import { createApp } from '../../functions/platform/api/app.js';
import { routes } from '../../functions/local/routes.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const server = createAdaptorServer({ fetch: createApp(buildServices(loadConfig(), undefined, process.env, [emulatorAdapters, controlPlaneAdapters]), routes).fetch }) as Server;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
