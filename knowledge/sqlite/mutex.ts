/**
 * A first-come, first-served async mutex. better-sqlite3 has one connection and answers
 * synchronously, so a single call can never interleave with another; an open transaction whose
 * body awaits can. Every call on the knowledge base takes this lock, and a transaction holds it
 * from BEGIN to COMMIT, so nothing unrelated slips into (or is rolled back with) it.
 */
export class AsyncMutex {
  private tail: Promise<unknown> = Promise.resolve();

  runExclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(fn);
    // The next caller waits for this one to settle, whether it succeeded or not.
    this.tail = run.catch(() => undefined);
    return run;
  }
}
