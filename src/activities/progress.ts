/**
 * Heartbeats for long activities: progress the Web UI can show, and a checkpoint a retried attempt
 * resumes from (`info.heartbeatDetails` holds the last details the server received).
 */
import { Context } from '@temporalio/activity';
import { CancelledFailure, type Logger } from '@temporalio/common';
import type { z } from 'zod';

/** The activity context, or undefined when an activity function is called directly (CLI, scripts). */
function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** The activity's logger (tagged with workflow and activity ids by the SDK); silent outside an activity. */
export function activityLog(): Logger {
  return currentContext()?.log ?? silent;
}

/** The previous attempt's checkpoint, if it has one of the expected shape (anything else is ignored). */
export function lastCheckpoint<S extends z.ZodType>(schema: S): z.output<S> | undefined {
  const details: unknown = currentContext()?.info.heartbeatDetails;
  const parsed = schema.safeParse(details);
  return parsed.success ? parsed.data : undefined;
}

export interface Heartbeat {
  /** Sends the details at most once per interval (always when `force`); throws once the activity is cancelled. */
  beat(force?: boolean): void;
  /** Stops the keep-alive timer; call it when the activity's work ends. */
  stop(): void;
}

/**
 * Throttled because details may hold every finished row: building and converting them on every
 * example would be quadratic, so `details` is only evaluated when a beat is actually sent. A timer
 * beats too: under load one local-model call can outlast the heartbeat timeout, and an activity that
 * is working must not be declared dead just because no example finished in that time.
 */
export function heartbeat<T>(intervalMs: number, details: () => T): Heartbeat {
  const context = currentContext();
  let last = -Infinity;
  const send = (): void => {
    last = Date.now();
    context?.heartbeat(details());
  };
  // intervalMs 0 (tests) means: beat on every progress report, no timer.
  const timer = context && intervalMs > 0 ? setInterval(() => Date.now() - last >= intervalMs && send(), intervalMs) : undefined;
  timer?.unref();
  return {
    beat(force = false) {
      if (!context) return;
      if (context.cancellationSignal.aborted) throw new CancelledFailure(String(context.cancellationSignal.reason ?? 'activity cancelled'));
      if (force || Date.now() - last >= intervalMs) send();
    },
    stop() {
      clearInterval(timer);
    },
  };
}

export interface PeriodicSave {
  /** Starts a save when the interval has passed and none is under way. */
  maybe(): void;
  /** Waits for a save under way, then saves the latest state. */
  now(): Promise<void>;
}

/**
 * Saves a checkpoint at most once per interval, one save at a time. A failed save is logged, not
 * fatal: losing a checkpoint only costs redoing that work on a retry.
 */
export function periodicSave(intervalMs: number, save: () => Promise<void>): PeriodicSave {
  let last = -Infinity;
  let inFlight: Promise<void> | null = null;
  const start = (): Promise<void> => {
    last = Date.now();
    const saving = save()
      .catch((err: unknown) => activityLog().warn('checkpoint not saved', { error: (err as Error).message }))
      .finally(() => {
        if (inFlight === saving) inFlight = null;
      });
    inFlight = saving;
    return saving;
  };
  return {
    maybe() {
      if (inFlight === null && Date.now() - last >= intervalMs) void start();
    },
    async now() {
      if (inFlight) await inFlight;
      await start();
    },
  };
}
