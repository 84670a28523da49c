import { runCli } from './upgrade-cp.js';
import { runTokensCommand } from './tokens-bootstrap.js';

const argv = process.argv.slice(2);
const out = (line: string) => console.log(line);
const err = (line: string) => console.error(line);

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
