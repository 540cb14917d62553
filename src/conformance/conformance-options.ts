// The harness's command line (`npm run conformance -- …`), parsed into HarnessOptions.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fapi2Variants, planNames, type Fapi2Variant, type HarnessOptions } from './harness.js';

export const usage = `usage: npm run conformance -- --issuer URL [--plan ${planNames.join('|')}]... [options]
       npm run conformance -- [shared options] --issuer URL [options] --issuer URL [options]... [--parallel N]
  Several --issuer: each starts a run of its own with the options after it (the same URL may come twice, with other
  plans); options before the first --issuer apply to every run. The runs share one browser.
  --parallel N              with several --issuer: runs at a time (default 1)
  --plan P                  a plan to run; repeat or comma-separate (default: config,basic)
  --client-id ID            a confidential client (client_secret_basic) with the redirect and post-logout URIs below
  --client-secret SECRET
  --registration-token T    an initial access token (multi-use) for the dynamic, back-channel and fapi2 clients
  --private-jwk FILE        with --client-id: that client's private JWK (fapi2 without registration: private_key_jwt,
                            and the key request objects are signed with)
  --fapi2-variant V         dpop (default: private_key_jwt + DPoP) or mtls (tls_client_auth or
                            self_signed_tls_client_auth + certificate-bound tokens, RFC 8705)
  --message-signing         fapi2 with FAPI 2.0 Message Signing: signed request objects (JAR) through PAR, JARM responses
  --client-cert FILE --client-key FILE  a client certificate (PEM) the TLS proxy verifies, for tls_client_auth
  --user EMAIL --password PW  a test user of the deployment, for the browser steps
  --redirect-uri URI        default https://rp.conformance.invalid/callback (never fetched: the browser is intercepted)
  --post-logout-redirect-uri URI   default https://rp.conformance.invalid/signed-out
  --backchannel-host URL    where the provider reaches this machine's back-channel logout listener
  --ignore-browser-tls-errors  Chromium accepts a certificate from a private CA (Node trusts NODE_EXTRA_CA_CERTS)
  --timeout SECONDS         per browser step (default 20)`;

const optionTypes = {
  issuer: { type: 'string' }, plan: { type: 'string', multiple: true }, 'client-id': { type: 'string' }, 'client-secret': { type: 'string' },
  'registration-token': { type: 'string' }, 'private-jwk': { type: 'string' }, user: { type: 'string' }, password: { type: 'string' },
  'redirect-uri': { type: 'string' }, 'post-logout-redirect-uri': { type: 'string' }, 'backchannel-host': { type: 'string' },
  'ignore-browser-tls-errors': { type: 'boolean' }, timeout: { type: 'string' }, help: { type: 'boolean' },
  'fapi2-variant': { type: 'string' }, 'message-signing': { type: 'boolean' }, 'client-cert': { type: 'string' }, 'client-key': { type: 'string' },
} as const;

const valueOptions = new Set([...Object.entries(optionTypes).filter(([, option]) => option.type === 'string').map(([name]) => name), 'parallel']);
const optionNames = new Set([...Object.keys(optionTypes), 'parallel']);

/** `--opt`, `--opt=…` of an option the harness knows, as opposed to a value that happens to start with dashes */
const isOption = (arg: string) => arg.startsWith('--') && optionNames.has(arg.slice(2).split('=')[0]!);

/**
 * `--token -abc` → `--token=-abc`: secrets and tokens may start with a dash, even two (base64url), which parseArgs
 * takes for an option; whatever follows an option that takes a value is its value unless it is one of ours.
 */
function joinValues(argv: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg.startsWith('--') && valueOptions.has(arg.slice(2)) && next !== undefined && !isOption(next)) {
      joined.push(`${arg}=${next}`);
      i += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** what one harness process runs: one run per `--issuer`, `parallel` at a time */
export interface ConformanceRuns { runs: HarnessOptions[]; parallel: number }

const isIssuer = (arg: string) => arg === '--issuer' || arg.startsWith('--issuer=');

/**
 * The command line as runs: with one `--issuer` every option applies to it, wherever it stands; with several,
 * each `--issuer` starts a run that takes the options after it, and the options before the first apply to every run
 * (a run's own value wins; plans add up).
 * @throws UsageError
 */
export function parseRuns(argv: string[]): ConformanceRuns {
  const args = joinValues(argv);
  const parallelAt = args.findIndex((arg) => arg === '--parallel' || arg.startsWith('--parallel='));
  let parallel = 1;
  if (parallelAt >= 0) {
    const [value] = args.splice(parallelAt, 1).map((arg) => arg.slice('--parallel='.length));
    parallel = Number(value);
    if (!Number.isInteger(parallel) || parallel < 1) throw new UsageError('--parallel takes a whole number of runs, 1 or more');
    if (args.some((arg) => arg === '--parallel' || arg.startsWith('--parallel='))) throw new UsageError('--parallel is given once');
  }
  const starts = args.flatMap((arg, at) => (isIssuer(arg) ? [at] : []));
  if (starts.length <= 1) return { runs: [parseOptions(args)], parallel };
  const shared = args.slice(0, starts[0]);
  const runs = starts.map((start, i) => parseOptions([...shared, ...args.slice(start, starts[i + 1])]));
  return { runs, parallel };
}

/** the options of one run @throws UsageError */
export function parseOptions(argv: string[]): HarnessOptions {
  let parsed;
  try {
    parsed = parseArgs({ args: joinValues(argv), options: optionTypes });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) throw new UsageError('');
  if (!values.issuer) throw new UsageError('--issuer is required');
  try {
    new URL(values.issuer);
  } catch {
    throw new UsageError(`--issuer ${values.issuer} is not a URL`);
  }
  const chosen = (values.plan ?? ['config,basic']).flatMap((plan) => plan.split(',')).map((plan) => plan.trim()).filter(Boolean);
  const unknown = chosen.filter((plan) => !(planNames as readonly string[]).includes(plan));
  if (unknown.length) throw new UsageError(`unknown plan ${unknown.join(', ')}; plans: ${planNames.join(', ')}`);
  const timeout = Number(values.timeout ?? 20);
  if (!(timeout > 0)) throw new UsageError('--timeout must be a positive number of seconds');
  const variant = values['fapi2-variant'] ?? 'dpop';
  if (!(fapi2Variants as readonly string[]).includes(variant)) throw new UsageError(`--fapi2-variant is one of ${fapi2Variants.join(', ')}`);
  if (!values['client-cert'] !== !values['client-key']) throw new UsageError('--client-cert and --client-key go together');
  return {
    issuer: values.issuer,
    plans: planNames.filter((plan) => chosen.includes(plan)),
    clientId: values['client-id'],
    clientSecret: values['client-secret'],
    registrationToken: values['registration-token'],
    privateJwk: values['private-jwk'] ? readOptionFile('--private-jwk', values['private-jwk']) : undefined,
    user: values.user,
    password: values.password,
    redirectUri: values['redirect-uri'] ?? 'https://rp.conformance.invalid/callback',
    postLogoutRedirectUri: values['post-logout-redirect-uri'] ?? 'https://rp.conformance.invalid/signed-out',
    backchannelHost: values['backchannel-host'],
    ignoreTlsErrors: values['ignore-browser-tls-errors'] ?? false,
    timeoutMs: timeout * 1000,
    fapi2Variant: variant as Fapi2Variant,
    messageSigning: values['message-signing'] ?? false,
    clientCertificate: values['client-cert'] && values['client-key']
      ? { cert: readOptionFile('--client-cert', values['client-cert']), key: readOptionFile('--client-key', values['client-key']) }
      : undefined,
  };
}

/** a file an option names, or a usage error that says which option named what */
function readOptionFile(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${option} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export class UsageError extends Error {}
