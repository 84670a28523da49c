import { runCli } from './upgrade-cp.js';
import { runTokensCommand } from './tokens-bootstrap.js';

const argv = process.argv.slice(2);

// Piped into `head` (or any reader that stops early): the closed pipe ends the command quietly, not with a trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const out = (line: string) => void process.stdout.write(`${line}\n`);
const err = (line: string) => void process.stderr.write(`${line}\n`);

try {
  // `tokens bootstrap` talks to the deployed stack's table with AWS credentials; every other command is HTTP.
  process.exitCode =
    argv[0] === 'tokens'
      ? await runTokensCommand(argv.slice(1), { out, err, env: process.env })
      : await runCli(argv, {
          fetch,
          out,
          err,
          env: process.env,
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        });
} catch (error) {
  // Never a stack trace at the operator: one line, and the exit code for "refused/failed".
  err(`error: ${(error as Error).message ?? String(error)}`);
  process.exitCode = 1;
}
