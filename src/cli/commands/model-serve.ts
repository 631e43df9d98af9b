/** `kkachi model serve`: the embedded model behind OpenAI-compatible endpoints on 127.0.0.1. */
import { createLocalLM } from '../../core/lm/local';
import { disposeLocalRuntimes } from '../../core/lm/local-runtime';
import { DEFAULT_MODEL } from '../../core/lm/catalogue';
import { modelsDir, resolveModel } from '../../models/location';
import { startOpenAIServer } from '../../server/openai-server';
import { integerFlag, stringFlag, UsageError, writeJson, type Command } from '../command';

export const modelServeCommand: Command = {
  path: ['model', 'serve'],
  summary: 'Serve the embedded model as /v1/chat/completions and /v1/models on 127.0.0.1 (any OpenAI client can use it).',
  options: {
    port: { type: 'string', value: 'PORT', description: 'port on 127.0.0.1 (default 8080; 0 picks a free one)' },
    model: { type: 'string', value: 'NAME', description: `catalogue name or GGUF path (default: $KKACHI_MODEL, else ${DEFAULT_MODEL})` },
    render: {
      type: 'string',
      value: 'chat|plain',
      description: "prompt rendering (default: the catalogue's measured choice, plain). Clients that send chat-style prompts, such as DSPy's ChatAdapter, do better with chat on a model that has a template (smollm2-135m)",
    },
    json: { type: 'boolean', description: 'print {"baseURL","model"} as JSON once listening' },
  },
  details: 'Then e.g.: OPENAI_BASE_URL=http://127.0.0.1:8080/v1 OPENAI_API_KEY=unused KKACHI_LM=openai kkachi eval --model <id> …\nStops on Ctrl-C.',
  async run({ values }, io) {
    const port = integerFlag(values, 'port', { max: 65_535 }) ?? 8080;
    const model = stringFlag(values, 'model') ?? (io.env.KKACHI_MODEL || DEFAULT_MODEL);
    const render = stringFlag(values, 'render');
    if (render !== undefined && render !== 'chat' && render !== 'plain') throw new UsageError(`--render must be chat or plain, got "${render}"`);
    resolveModel(model, io.env); // not installed: a clear error naming `kkachi model fetch`
    const lm = await createLocalLM({ model, modelsDir: modelsDir(io.env), ...(render ? { render } : {}) });
    const server = await startOpenAIServer({ lm, port });
    try {
      if (values.json) writeJson(io, { baseURL: server.baseURL, model: lm.id });
      else io.stdout.write(`serving ${lm.id} at ${server.baseURL} (POST /chat/completions, GET /models); Ctrl-C stops\n`);
      const signal = await (io.interrupted?.() ?? new Promise<string>(() => undefined));
      io.stderr.write(`model serve: ${signal}, stopping\n`);
    } finally {
      await server.close();
      await disposeLocalRuntimes();
    }
  },
};
