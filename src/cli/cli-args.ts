// Argument parsing shared by the CLI's command tables: strict flags, clear usage errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

/**
 * `--flag value` where the value starts with a dash (a random id or secret such as `-1So…`): parseArgs refuses it as
 * ambiguous, so a string flag takes the next argument as its value unless that argument is itself a flag it knows.
 */
export function withDashValues(args: string[], options: Options): string[] {
  const known = (arg: string) => {
    const name = /^--([^=]+)/.exec(arg)?.[1];
    if (name !== undefined) return Object.hasOwn(options, name);
    const short = /^-([^-])$/.exec(arg)?.[1];
    return short !== undefined && Object.values(options).some((o) => o.short === short);
  };
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const name = /^--([^=]+)$/.exec(arg)?.[1];
    const next = args[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && next.startsWith('-') && next !== '--' && !known(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

export function parseFlags(args: string[], options: Options, positionals = 0): { values: Values; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: withDashValues(args, options), options, allowPositionals: positionals > 0, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`);
  return parsed as { values: Values; positionals: string[] };
}

export function need<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

export const text = (value: unknown) => value as string | undefined;
export const list = (value: unknown) => value as string[] | undefined;

export function jsonFlag(value: string | undefined, flag: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError(`${flag} must be a JSON object`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`${flag} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

/** `keys rotate`'s --pre-publish <seconds> and --emergency, which exclude each other */
export function rotationOptions(prePublish: string | undefined, emergency: boolean | undefined): { prePublishSeconds?: number; emergency?: boolean } {
  if (emergency && prePublish !== undefined) throw new UsageError('--emergency signs with the new key at once: leave out --pre-publish');
  if (prePublish !== undefined && !/^\d{1,8}$/.test(prePublish)) throw new UsageError('--pre-publish is a whole number of seconds');
  return { ...(prePublish !== undefined ? { prePublishSeconds: Number(prePublish) } : {}), ...(emergency ? { emergency: true } : {}) };
}
