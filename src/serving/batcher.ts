/**
 * Group commit: items added while a flush is under way (or in the same turn of the event loop) travel
 * together in the next flush, so N concurrent callers cost one store transaction or one Temporal
 * signal instead of N. Each `add` resolves when the flush holding its item succeeded — with the
 * flush's answer for that item, when it gives one per item — and rejects with that flush's error
 * otherwise, so a caller only answers "done" for what really landed.
 */
export interface BatcherOptions {
  /** Most items one flush carries. */
  maxItems: number;
  /** Flushes under way at once; further items wait and join the next batch. */
  maxInFlight: number;
}

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/** A flush: stores or sends the items, and may answer for each (in order). */
export type Flush<T, R> = (items: T[]) => Promise<readonly R[] | void> | readonly R[] | void;

export class Batcher<T, R = void> {
  private queue: Pending<T, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly flush: Flush<T, R>,
    private readonly options: BatcherOptions,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting or being flushed. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Resolves once everything added so far has been flushed (or failed). */
  async drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate: let every request that finishes in this turn join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.queue.splice(0, this.options.maxItems);
      this.inFlight += 1;
      void this.run(batch);
    }
  }

  private async run(batch: Pending<T, R>[]): Promise<void> {
    try {
      const results = await this.flush(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results?.[i] as R));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.inFlight -= 1;
      if (this.queue.length > 0) this.pump();
      else if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }
}
