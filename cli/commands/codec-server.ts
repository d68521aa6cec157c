import { type Command } from 'commander';
import { z } from 'zod';
import { BearerTokens } from '../../common/bearer-auth';
import { startCodecServer } from '../../common/codec-server';
import { DEFAULT_UI_PORT } from '../../common/temporal-config';
import { HomeostatError } from '../../common/errors';
import { codecFromEnv } from '../../common/payload-codec';
import { parseFlags } from '../flags';

const Flags = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8089),
  host: z.string().min(1).default('127.0.0.1'),
  tokenFile: z.string().min(1).optional(),
  uiOrigin: z.string().min(1).default(`http://localhost:${DEFAULT_UI_PORT},http://127.0.0.1:${DEFAULT_UI_PORT}`),
});

export function register(program: Command): void {
  program
    .command('codec-server')
    .description("serve Temporal's codec endpoints (/encode, /decode) so the Web UI and `temporal --codec-endpoint` read encrypted payloads (runs until SIGINT/SIGTERM)")
    .option('--port <port>', 'port (0 = any)', '8089')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--token-file <file>', 'bearer tokens, one per line (or HOMEOSTAT_CODEC_SERVER_TOKENS, comma separated)')
    .option('--ui-origin <list>', `origins allowed by CORS, comma separated (default the local Web UI, http://localhost:${DEFAULT_UI_PORT})`)
    .action(async (raw: unknown) => {
      const f = parseFlags(Flags, raw);
      const codec = codecFromEnv();
      if (!codec) throw new HomeostatError('HS_INVALID_INPUT', 'codec-server: no keys (set HOMEOSTAT_CODEC_KEYS or HOMEOSTAT_CODEC_KEY_FILE, the same keys the worker uses)');
      const tokens = new BearerTokens({ ...(f.tokenFile ? { file: f.tokenFile } : {}), ...(process.env.HOMEOSTAT_CODEC_SERVER_TOKENS ? { value: process.env.HOMEOSTAT_CODEC_SERVER_TOKENS } : {}) });
      const origins = f.uiOrigin.split(',').map((o) => o.trim()).filter(Boolean);
      const server = await startCodecServer({ codec, tokens, origins }, f.port, f.host);
      process.stdout.write(
        `codec server ready: ${server.url} (encrypting with key ${codec.activeKeyId}; CORS for ${origins.join(', ')})\n` +
          `  temporal workflow show -w <id> --codec-endpoint ${server.url} --codec-auth "Bearer <token>"\n` +
          `  Web UI: temporal server start-dev --ui-codec-endpoint ${server.url}/<token>\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => void server.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
