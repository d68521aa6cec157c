import { Command, CommanderError } from 'commander';
import { isHomeostatError } from '../common/errors';
import { COMMANDS } from './commands';

/** Builds the `homeostat` command tree; each subcommand lives in its own module under cli/commands. */
export function buildProgram(): Command {
  const program = new Command('homeostat')
    .description('Self-healing for data and ML pipelines')
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed help or the usage error.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isHomeostatError(err)) {
      process.stderr.write(`homeostat: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    throw err;
  }
}
