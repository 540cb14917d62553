// Every sealed credential of a tenant's settings, with the fields that decide where it is sent. An operator sees a
// credential only as "(set)"; if changing where it goes were enough, pointing `baseUrl` at their own server would
// hand them the plaintext (issue #13, finding 3). So a change of destination needs the credential entered again in
// the same change: applySettingsPatch refuses it otherwise (`tenant.credential_required`).
// Paths are dotted settings paths; `*` is any key of that object (a connection id), the same key for the
// credential and its destinations.

export interface SecretBinding {
  /** where the sealed credential is stored */
  readonly credential: string;
  /** the settings that decide which server receives it (or something made from it) */
  readonly destinations: readonly string[];
}

export const secretBindings: readonly SecretBinding[] = [
  // The SMTP URL is itself the credential: its host cannot change without entering the whole URL again.
  { credential: 'messaging.email.smtpUrl', destinations: [] },
  // The account SID only names the account on the same host: not a destination.
  { credential: 'messaging.sms.twilio.authToken', destinations: ['messaging.sms.twilio.baseUrl', 'messaging.sms.twilio.verifyBaseUrl'] },
  { credential: 'messaging.sms.msg91.authKey', destinations: ['messaging.sms.msg91.baseUrl'] },
  { credential: 'messaging.sms.twoFactor.apiKey', destinations: ['messaging.sms.twoFactor.baseUrl'] },
  { credential: 'messaging.whatsapp.accessToken', destinations: ['messaging.whatsapp.baseUrl'] },
  // A connection's type picks which of its URLs are called (and their defaults): changing it moves the secret too.
  // GitHub's apiUrl receives the access token obtained with the secret.
  { credential: 'connections.*.clientSecret', destinations: ['connections.*.type', 'connections.*.issuer', 'connections.*.baseUrl', 'connections.*.apiUrl'] },
  // Apple's key signs the client secret JWT sent to the issuer.
  { credential: 'connections.*.privateKey', destinations: ['connections.*.type', 'connections.*.issuer'] },
];

/** settings paths that hold credentials: sealed on write, never shown back */
export const secretPaths: readonly string[] = secretBindings.map((binding) => binding.credential);

export interface DestinationChange {
  /** the concrete path of the credential, e.g. `connections.acme.clientSecret` */
  readonly credential: string;
  /** the concrete destination paths whose effective value changed */
  readonly destinations: string[];
  /** the patch carries the credential again */
  readonly reentered: boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

function valueAt(root: unknown, path: string): unknown {
  let node = root;
  for (const key of path.split('.')) node = isObject(node) && Object.hasOwn(node, key) ? node[key] : undefined;
  return node;
}

/** the concrete paths a pattern names in `root`, with the key `*` stood for */
function expand(root: unknown, pattern: string): Array<{ path: string; star: string | null }> {
  const [head, rest] = pattern.split('.*.') as [string, string | undefined];
  if (rest === undefined) return [{ path: pattern, star: null }];
  const parent = valueAt(root, head);
  return isObject(parent) ? Object.keys(parent).map((key) => ({ path: `${head}.${key}.${rest}`, star: key })) : [];
}

/**
 * Stored credentials that stay stored while where they are sent changes.
 * @param before the effective settings before the change (defaults applied, credentials sealed)
 * @param after the effective settings after it
 * @param patch the change as the operator sent it
 */
export function destinationChanges(before: unknown, after: unknown, patch: unknown): DestinationChange[] {
  const changes: DestinationChange[] = [];
  for (const binding of secretBindings) {
    for (const { path, star } of expand(after, binding.credential)) {
      if (valueAt(before, path) == null || valueAt(after, path) == null) continue;
      const destinations = binding.destinations
        .map((pattern) => (star === null ? pattern : pattern.replace('*', star)))
        .filter((destination) => JSON.stringify(valueAt(before, destination)) !== JSON.stringify(valueAt(after, destination)));
      if (destinations.length) changes.push({ credential: path, destinations, reentered: typeof valueAt(patch, path) === 'string' });
    }
  }
  return changes;
}

/** every destination URL the effective settings hold, with its concrete path */
export function destinationUrls(settings: unknown): Array<[string, string]> {
  const urls = new Map<string, string>();
  for (const binding of secretBindings) {
    for (const pattern of binding.destinations) {
      if (pattern.endsWith('.type')) continue;
      for (const { path } of expand(settings, pattern)) {
        const value = valueAt(settings, path);
        if (typeof value === 'string') urls.set(path, value);
      }
    }
  }
  return [...urls];
}
