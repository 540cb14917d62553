#!/usr/bin/env node
// `tessera`: manages an installation and prints JSON. With DATABASE_URL it works on PostgreSQL directly.
// On the embedded database it never opens ./data while a server holds it: it asks that server instead.
// With TESSERA_URL (and a client id and secret) it works through that installation's Management API instead.
// What each command does is in cli-run.ts; this file prints its outcome and exits with its code.
import { runTesseraCli } from './cli-run.js';

const outcome = await runTesseraCli(process.argv.slice(2), process.env);
process.stdout.write(outcome.stdout);
process.stderr.write(outcome.stderr);
process.exit(outcome.exitCode);
