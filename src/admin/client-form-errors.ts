// The client forms' refusals in words a person acts on, beside the field they concern (issue #14). oidc-provider's
// client schema speaks in metadata names ("redirect_uris must contain members", "client is invalid"); nobody typing
// into "Redirect URIs (one per line)" should have to translate that. Our own messages are already readable and pass.
import { AppError } from '../errors/app-error.js';
import { formError } from './admin-kit.js';

export type ClientField = 'name' | 'redirectUris' | 'postLogoutUris';
export interface ClientFormError { field: ClientField | null; message: string }

const fieldOf: Record<string, ClientField> = { redirect_uris: 'redirectUris', post_logout_redirect_uris: 'postLogoutUris', client_name: 'name' };
const whichUris = (prop: string) => (prop === 'post_logout_redirect_uris' ? 'A post-logout redirect URI' : 'A redirect URI');

/** library wording → our wording; `prop` is the metadata name it opened with */
const rules: { pattern: RegExp; message: (prop: string) => string }[] = [
  { pattern: /^redirect_uris must contain members/, message: () => 'Add at least one redirect URI: the address of your app that receives the sign-in (e.g. https://app.example/callback).' },
  { pattern: /^(\w+) must only contain valid uris/, message: (p) => `${whichUris(p)} must be a full address, one per line, such as https://app.example/callback.` },
  { pattern: /^(\w+) must not contain fragments/, message: (p) => `${whichUris(p)} cannot contain a “#” part.` },
  { pattern: /^(\w+) must only contain (web|https) uris/, message: (p) => `${whichUris(p)} must start with https:// (or http:// for local development).` },
  { pattern: /^(\w+) for native clients using http as a protocol can only use loopback/, message: (p) => `${whichUris(p)} of an app without a secret may use http:// only with 127.0.0.1, [::1] or localhost; use https:// otherwise.` },
  { pattern: /^(\w+) for native clients using claimed HTTPS URIs must not be using/, message: (p) => `${whichUris(p)} of an app without a secret cannot point at localhost over https; use http://127.0.0.1 or your app's own domain.` },
  { pattern: /^(\w+) must not use the (\S+) URI scheme/, message: (p) => `${whichUris(p)} cannot use that kind of address; use https://, or your app's own custom scheme.` },
  { pattern: /^(\w+) for web clients using implicit flow/, message: (p) => `${whichUris(p)} must use https:// and not localhost.` },
  { pattern: /^client_name must be a non-empty string/, message: () => 'Give the app a name.' },
];

/** the message for the client form and the field it belongs to; rethrows what is no refusal (formError) */
export function clientFormError(error: unknown): ClientFormError {
  const message = formError(error);
  if (!(error instanceof AppError) || (error.code !== 'client.invalid_metadata' && error.code !== 'request.invalid')) return { field: null, message };
  for (const rule of rules) {
    const match = rule.pattern.exec(message);
    if (match) return { field: fieldOf[(match[1] ?? message.split(' ')[0])!] ?? null, message: rule.message(match[1] ?? message.split(' ')[0]!) };
  }
  // library wording we have no words for ("client is invalid", "invalid_client_metadata", "<prop> must be …"): never shown raw
  if (/^client is invalid|invalid_client_metadata|^[a-z]+(_[a-z]+)+ (must|is|are) /.test(message)) {
    const prop = /^([a-z]+(?:_[a-z]+)+) /.exec(message)?.[1];
    return { field: prop ? fieldOf[prop] ?? null : null, message: 'These settings do not fit this kind of app. Check the addresses and the kind chosen.' };
  }
  return { field: null, message };
}
