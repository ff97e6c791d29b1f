#!/usr/bin/env node
// The `restore-watch` CLI. Node 22.18+ runs this TypeScript file directly (type stripping): no build step.
import { main, processIo } from '../functions/cli/main.ts';

const code = await main(process.argv.slice(2), processIo());
process.exitCode = code;
