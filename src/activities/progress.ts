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

export interface Heartbeat<T> {
  /** Sends `details()` at most once per interval (always when `force`); throws once the activity is cancelled. */
  beat(details: () => T, force?: boolean): void;
}

/**
 * Throttled because details may hold every finished row: building and converting them on every
 * example would be quadratic. The callback is only evaluated when a beat is actually sent.
 */
export function heartbeat<T>(intervalMs: number): Heartbeat<T> {
  const context = currentContext();
  let last = -Infinity;
  return {
    beat(details, force = false) {
      if (!context) return;
      if (context.cancellationSignal.aborted) throw new CancelledFailure(String(context.cancellationSignal.reason ?? 'activity cancelled'));
      const now = Date.now();
      if (!force && now - last < intervalMs) return;
      last = now;
      context.heartbeat(details());
    },
  };
}
