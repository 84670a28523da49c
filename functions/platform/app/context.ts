import type { Services } from '../adapters/services.js';

/** What use cases need: ports only, never SDK clients (so unit tests can pass in-memory adapters). */
export type AppContext = Omit<Services, 'awsClients' | 'destroy'>;
