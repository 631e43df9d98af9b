/** Activity checkpoints on every store back end: replaced by key, read back, deleted. */
import { BACKENDS, useBackend } from '../support/stores';

describe.each(BACKENDS)('%s store', (_name, start) => {
  const { fresh } = useBackend(start);

  it('keeps the latest checkpoint per key until it is deleted', async () => {
    const store = await fresh();
    expect(await store.getCheckpoint('evaluate:a')).toBeNull();
    await store.putCheckpoint('evaluate:a', '[1]');
    await store.putCheckpoint('evaluate:a', '[1,2]');
    await store.putCheckpoint('evaluate:b', '[]');
    expect(await store.getCheckpoint('evaluate:a')).toBe('[1,2]');
    await store.deleteCheckpoint('evaluate:a');
    await store.deleteCheckpoint('evaluate:a');
    expect(await store.getCheckpoint('evaluate:a')).toBeNull();
    expect(await store.getCheckpoint('evaluate:b')).toBe('[]');
  });
});
