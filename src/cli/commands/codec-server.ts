/** `kkachi codec-server`: decrypts Kkachi's payloads for the Temporal Web UI and CLI. */
import { startCodecServer } from '../../temporal/codec-server';
import { EncryptionCodec, encryptionKeysFromEnv } from '../../temporal/encryption';
import { integerFlag, stringFlag, UsageError, writeJson, type Command } from '../command';

const DEFAULT_UI_ORIGIN = 'http://localhost:8233';

export const codecServerCommand: Command = {
  path: ['codec-server'],
  summary: 'Serve /encode and /decode for the Temporal Web UI and `temporal --codec-endpoint`, with the KKACHI_ENCRYPTION_* keys.',
  options: {
    port: { type: 'string', value: 'PORT', description: 'port (default 8081; 0 picks a free one)' },
    host: { type: 'string', value: 'HOST', description: 'interface to listen on (default 127.0.0.1)' },
    'ui-origin': { type: 'string', value: 'URL[,URL]', description: `browser origins allowed by CORS (default ${DEFAULT_UI_ORIGIN} and http://127.0.0.1:8233)` },
    json: { type: 'boolean', description: 'print {"url","uiEndpoint"} as JSON once listening' },
  },
  details: [
    'Needs KKACHI_ENCRYPTION_KEY (and KKACHI_ENCRYPTION_OLD_KEYS for rotated keys) and KKACHI_CODEC_TOKEN,',
    'the token every request must carry. CLI: temporal workflow show -w ID --codec-endpoint URL --codec-auth "Bearer TOKEN".',
    'Web UI (it cannot add a header): set the codec endpoint to URL/t/TOKEN. Stops on Ctrl-C.',
  ].join('\n'),
  async run({ values }, io) {
    const keys = encryptionKeysFromEnv(io.env);
    if (!keys) throw new UsageError('set KKACHI_ENCRYPTION_KEY: the codec server decrypts with the same keys as the workers');
    const token = io.env.KKACHI_CODEC_TOKEN;
    if (!token) throw new UsageError('set KKACHI_CODEC_TOKEN: every request to the codec server must carry it');
    const port = integerFlag(values, 'port', { max: 65_535 }) ?? 8081;
    const origins = (stringFlag(values, 'ui-origin') ?? `${DEFAULT_UI_ORIGIN},http://127.0.0.1:8233`).split(',').map((o) => o.trim()).filter(Boolean);
    const server = await startCodecServer({ codec: new EncryptionCodec(keys), token, origins, port, host: stringFlag(values, 'host') ?? '127.0.0.1' });
    try {
      const uiEndpoint = `${server.url}/t/<KKACHI_CODEC_TOKEN>`;
      if (values.json) writeJson(io, { url: server.url, uiEndpoint });
      else io.stdout.write(`codec server at ${server.url} (key ${keys.current.id}${keys.older.length ? ` + ${keys.older.length} older` : ''}); Web UI endpoint ${uiEndpoint}; CORS for ${origins.join(', ')}; Ctrl-C stops\n`);
      const signal = await (io.interrupted?.() ?? new Promise<string>(() => undefined));
      io.stderr.write(`codec-server: ${signal}, stopping\n`);
    } finally {
      await server.close();
    }
  },
};
