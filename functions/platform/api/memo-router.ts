import type { Result, Router } from 'hono/router';

/**
 * Hono's router with the last answers remembered by method and path: the route table is fixed once the app
 * is built, so a path matched before matches the same handlers and parameters again (Hono only reads a
 * match result). Clients call the same few paths in a loop; with the app's few hundred routes the trie
 * search was about 15 µs of every request. Bounded (paths come from clients): emptied when full; a route
 * added later empties it too.
 */
export class MemoRouter<T> implements Router<T> {
  readonly name: string;
  readonly #answers = new Map<string, Result<T>>();

  constructor(
    private readonly router: Router<T>,
    private readonly maxEntries = 1_000,
  ) {
    this.name = `memo(${router.name})`;
  }

  add(method: string, path: string, handler: T): void {
    this.#answers.clear();
    this.router.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`;
    let answer = this.#answers.get(key);
    if (answer === undefined) {
      answer = this.router.match(method, path);
      if (this.#answers.size >= this.maxEntries) this.#answers.clear();
      this.#answers.set(key, answer);
    }
    return answer;
  }
}
