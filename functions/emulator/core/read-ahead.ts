/**
 * Iterates `source` one step ahead: the next value is requested as soon as the current one is handed
 * out, so producing it (a database page) overlaps with consuming this one (rendering, sending).
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  // A failure while the consumer is still busy is not unhandled: it is raised at the next await (or dropped).
  const request = () => {
    const next = iterator.next();
    next.catch(() => undefined);
    return next;
  };
  let pending: Promise<IteratorResult<T>> | undefined = request();
  try {
    for (;;) {
      const result: IteratorResult<T> = await pending;
      pending = undefined;
      if (result.done) return;
      pending = request();
      yield result.value;
    }
  } finally {
    if (pending) {
      // The consumer stopped early: the value read ahead is dropped, the source closed.
      await pending.catch(() => undefined);
      await iterator.return?.();
    }
  }
}
