import { runCli } from './upgrade-cp.js';

process.exitCode = await runCli(process.argv.slice(2), {
  fetch,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  env: process.env,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
});
