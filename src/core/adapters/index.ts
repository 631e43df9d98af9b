import { chatAdapter } from './chat';
import { completionAdapter } from './completion';
import type { Adapter, AdapterName } from './types';

export { chatAdapter, renderOutputs } from './chat';
export { completionAdapter } from './completion';
export type { Adapter, AdapterName, ParseResult } from './types';

const ADAPTERS: Record<AdapterName, Adapter> = { chat: chatAdapter, completion: completionAdapter };

export function getAdapter(name: AdapterName): Adapter {
  const adapter = ADAPTERS[name];
  if (!adapter) throw new Error(`Unknown adapter "${String(name)}" (expected chat or completion)`);
  return adapter;
}
