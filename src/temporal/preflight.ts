/**
 * What a worker checks before it polls: the namespace exists and Kkachi's search attributes are
 * registered. Without them a learner starts, shows RUNNING and accepts feedback, yet every workflow
 * task fails on `BadSearchAttributes` and nothing is stored — so the worker registers them where the
 * server lets it (a dev server) and otherwise refuses to start, printing the commands that fix it.
 */
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_NAMES } from '../contract';

/** The slice of a (native) connection the checks use. */
export interface PreflightConnection {
  workflowService: { describeNamespace(req: { namespace: string }): Promise<unknown> };
  operatorService: {
    listSearchAttributes(req: { namespace: string }): Promise<{ customAttributes?: Record<string, unknown> | null }>;
    addSearchAttributes(req: { namespace: string; searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> }): Promise<unknown>;
  };
}

const GRPC_NOT_FOUND = 5;

export class PreflightError extends Error {
  override name = 'PreflightError';
}

/** The command that registers one attribute on any server (`temporal` CLI). */
export function searchAttributeCommand(namespace: string, name: string): string {
  return `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type Keyword`;
}

/**
 * Resolves with the attributes it registered (empty when all were there). Throws a PreflightError
 * naming the namespace, or the missing attributes and the exact commands that register them.
 */
export async function ensureServerReady(connection: PreflightConnection, namespace: string): Promise<string[]> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (err) {
    if ((err as { code?: number }).code === GRPC_NOT_FOUND) {
      throw new PreflightError(`Temporal namespace "${namespace}" does not exist; create it with: temporal operator namespace create --namespace ${namespace}`);
    }
    throw err;
  }
  const missing = await missingAttributes(connection, namespace);
  if (missing.length === 0) return [];
  try {
    const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, keyword])) });
    await waitUntilRegistered(connection, namespace);
    return missing;
  } catch (err) {
    if (err instanceof PreflightError) throw err;
    const commands = missing.map((name) => `  ${searchAttributeCommand(namespace, name)}`).join('\n');
    throw new PreflightError(
      `Temporal namespace "${namespace}" lacks Kkachi's search attributes ${missing.join(', ')} and this worker may not register them (${firstLine(err)}). Register them with:\n${commands}`,
    );
  }
}

async function missingAttributes(connection: PreflightConnection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return SEARCH_ATTRIBUTE_NAMES.filter((name) => customAttributes?.[name] === undefined);
}

/** Registration is asynchronous on the server: poll until the attributes are listed (at most 30 s). */
async function waitUntilRegistered(connection: PreflightConnection, namespace: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const missing = await missingAttributes(connection, namespace);
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new PreflightError(`search attributes ${missing.join(', ')} still not registered after 30 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const firstLine = (err: unknown): string => String((err as Error).message ?? err).split('\n')[0] as string;
