/**
 * The baselines of the sites bench: a bare Hono route on @hono/node-server (the same server stack as the
 * runtime) that answers the bytes in BARE_BODY_FILE with BARE_CONTENT_TYPE, doing nothing else; with
 * BARE_DYNAMODB_ENDPOINT it first reads one item (BARE_TABLE, BARE_PK/BARE_SK) through the SDK v3 document
 * client, as the site API reads its appliance: the store's floor per request. Runs in its own process like
 * the runtime it is compared with. Prints `{"port": N}` when listening.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';

const body = readFileSync(process.env.BARE_BODY_FILE!);
const type = process.env.BARE_CONTENT_TYPE ?? 'text/xml; charset=UTF-8';
const endpoint = process.env.BARE_DYNAMODB_ENDPOINT;
const documents = endpoint
  ? DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }))
  : undefined;
const key = { pk: process.env.BARE_PK, sk: process.env.BARE_SK };
const app = new Hono();
app.get('/', async (c) => {
  if (documents) {
    const item = await documents.send(new GetCommand({ TableName: process.env.BARE_TABLE, Key: key }));
    if (!item.Item) return c.text('missing', 500);
  }
  return c.body(body, 200, { 'content-type': type, 'cache-control': 'no-store' });
});
const server = createAdaptorServer({ fetch: app.fetch }) as Server;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
