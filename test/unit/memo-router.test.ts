/** The app's router memo (functions/platform/api/memo-router.ts): the same answers as the router it wraps. */
import { describe, expect, it } from 'vitest';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import { TrieRouter } from 'hono/router/trie-router';
import { MemoRouter } from '../../functions/platform/api/memo-router.js';

const build = () => new SmartRouter<string>({ routers: [new RegExpRouter(), new TrieRouter()] });
const ROUTES: [string, string, string][] = [
  ['ALL', '*', 'mw'],
  ['GET', '/appliances/:applianceId/api/command', 'command'],
  ['POST', '/appliances/:applianceId/api/command', 'command-post'],
  ['GET', '/v1/runs/:runId', 'run'],
  ['GET', '/v1/runs/:runId/events', 'events'],
  ['GET', '/files/*', 'files'],
];
const PATHS = ['/appliances/a/api/command', '/appliances/b/api/command', '/v1/runs/r1', '/v1/runs/r1/events', '/files/x/y', '/nothing', '/'];

describe('MemoRouter', () => {
  it('answers as the router it wraps, for repeated and new paths, and stays bounded', () => {
    const plain = build();
    const memo = new MemoRouter(build(), 3);
    for (const [m, p, h] of ROUTES) {
      plain.add(m, p, h);
      memo.add(m, p, h);
    }
    for (let round = 0; round < 3; round++) {
      for (const method of ['GET', 'POST', 'PUT']) for (const path of PATHS) expect(memo.match(method, path)).toEqual(plain.match(method, path));
    }
  });

  it('forgets its answers when a route is added', () => {
    const memo = new MemoRouter(new TrieRouter<string>());
    memo.add('GET', '/a', 'a');
    expect(memo.match('GET', '/b')[0]).toEqual([]);
    memo.add('GET', '/b', 'b');
    expect(memo.match('GET', '/b')[0].map(([h]) => h)).toEqual(['b']);
  });
});
