// `npm start`: the main job. With a configuration file, poll on a schedule (`run`); without one,
// the embedded demo, so a fresh clone shows what the monitor does with zero setup.
import { existsSync } from 'node:fs';
import { main, processIo } from '../functions/cli/main.ts';
import { DEFAULT_CONFIG_FILE } from '../functions/core/config.ts';
import { ENV } from '../functions/core/environment.ts';

const configFile = process.env[ENV.configFile] ?? DEFAULT_CONFIG_FILE;
const args = existsSync(configFile)
  ? ['run', '--config', configFile, ...process.argv.slice(2)]
  : ['demo', ...process.argv.slice(2)];
if (args[0] === 'demo')
  process.stderr.write(`restore-watch: no ${configFile} here, so this is the embedded demo.\n`);
process.exitCode = await main(args, processIo());
