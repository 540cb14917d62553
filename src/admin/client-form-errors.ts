// The client forms' refusals in words a person acts on, beside the field they concern (issue #14), in the console's
// language. oidc-provider's client schema speaks in metadata names ("redirect_uris must contain members", "client is
// invalid"); nobody typing into "Redirect URIs (one per line)" should have to translate that. Each library wording
// maps to a catalogue text (`console.clientErrors.*`); our own refusals pass as refusalText words them.
import { AppError } from '../errors/app-error.js';
import type { Translator } from '../i18n/i18n.js';
import { refusalText } from './admin-kit.js';

export type ClientField = 'name' | 'redirectUris' | 'postLogoutUris';
export interface ClientFormError { field: ClientField | null; message: string }

const fieldOf: Record<string, ClientField> = { redirect_uris: 'redirectUris', post_logout_redirect_uris: 'postLogoutUris', client_name: 'name' };
const whichUris = (prop: string) => (prop === 'post_logout_redirect_uris' ? 'console.clientErrors.postLogoutUri' : 'console.clientErrors.redirectUri');

/** library wording → the catalogue key of ours; `prop` is the metadata name it opened with */
const rules: { pattern: RegExp; key: string }[] = [
  { pattern: /^redirect_uris must contain members/, key: 'console.clientErrors.needsRedirect' },
  { pattern: /^(\w+) must only contain valid uris/, key: 'console.clientErrors.fullAddress' },
  { pattern: /^(\w+) must not contain fragments/, key: 'console.clientErrors.noFragment' },
  { pattern: /^(\w+) must only contain (web|https) uris/, key: 'console.clientErrors.https' },
  { pattern: /^(\w+) for native clients using http as a protocol can only use loopback/, key: 'console.clientErrors.nativeLoopback' },
  { pattern: /^(\w+) for native clients using claimed HTTPS URIs must not be using/, key: 'console.clientErrors.nativeLocalhost' },
  { pattern: /^(\w+) must not use the (\S+) URI scheme/, key: 'console.clientErrors.scheme' },
  { pattern: /^(\w+) for web clients using implicit flow/, key: 'console.clientErrors.implicit' },
  { pattern: /^client_name must be a non-empty string/, key: 'console.clientErrors.name' },
];

/** the message for the client form and the field it belongs to; rethrows what is no refusal (a 500) */
export function clientFormError(error: unknown, words: Translator): ClientFormError {
  if (!(error instanceof AppError) || error.status >= 500) throw error;
  const raw = error.message;
  if (error.code !== 'client.invalid_metadata' && error.code !== 'request.invalid') return { field: null, message: refusalText(error, words) };
  for (const rule of rules) {
    const match = rule.pattern.exec(raw);
    if (match) {
      const prop = match[1] ?? raw.split(' ')[0]!;
      return { field: fieldOf[prop] ?? null, message: words.t(rule.key, { which: words.t(whichUris(prop)) }) };
    }
  }
  // library wording we have no words for ("client is invalid", "invalid_client_metadata", "<prop> must be …"): never shown raw
  if (/^client is invalid|invalid_client_metadata|^[a-z]+(_[a-z]+)+ (must|is|are) /.test(raw)) {
    const prop = /^([a-z]+(?:_[a-z]+)+) /.exec(raw)?.[1];
    return { field: prop ? fieldOf[prop] ?? null : null, message: words.t('console.clientErrors.mismatch') };
  }
  return { field: null, message: refusalText(error, words) };
}
