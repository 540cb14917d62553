// What every CLI command table returns: its arguments checked, the work ready to run against the services.
import type { Services } from '../services.js';

export interface CommandContext {
  /** migrations applied when this process opened the database for the command (the CLI's direct mode) */
  appliedAtOpen?: readonly string[];
}

/** a command whose arguments have been checked, ready to run against the services */
export type PreparedCommand = (services: Services, context?: CommandContext) => Promise<unknown>;
