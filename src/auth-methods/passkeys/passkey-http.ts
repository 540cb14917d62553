// What the passkey pages and endpoints share over HTTP: the CSP that lets a page run /assets/passkeys.js, the body
// parser of the browser's answer, and the JSON error shape of the options endpoints.
import { koaBody } from 'koa-body';
import type { Context } from 'koa';

/** our page CSP (http/security-headers.ts) plus our own scripts and their fetches: nothing inline, nothing foreign */
export const passkeyPageCsp = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' https: data:; base-uri 'none'; frame-ancestors 'none'";

/** for a page that includes /assets/passkeys.js; set before rendering (the security headers keep a CSP already set) */
export function allowPasskeyScript(ctx: Context): void {
  ctx.set('Content-Security-Policy', passkeyPageCsp);
}

/** the browser's answer: a form with the credential as JSON (larger than a password form, still small) */
export const credentialBody = koaBody({ urlencoded: true, json: false, multipart: false, formLimit: '64kb', text: false });

/** `{ error, message }` like our other JSON answers (DESIGN.md "Errors"), never cached */
export function jsonError(ctx: Context, status: number, error: string, message: string): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error, message };
}

export function jsonOptions(ctx: Context, options: unknown): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.body = options;
}
