/** `npm run openapi`: writes the control API's OpenAPI document, served as a static file (console-handler.ts). */
import { writeFile } from 'node:fs/promises';
import { openApiText } from '../api/control/openapi.js';

const file = new URL('../api/console/assets/openapi.json', import.meta.url);
await writeFile(file, await openApiText());
console.log(`wrote ${file.pathname}`);
