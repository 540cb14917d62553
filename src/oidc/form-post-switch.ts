// `protocol.formPost.enabled` (issue #17): a tenant may switch off response_mode=form_post (OAuth 2.0 Form Post
// Response Mode), which oidc-provider always registers and advertises, with no setting of its own. Switched off, it
// leaves discovery, a client may not register it in `response_modes`, and an authorization or pushed request that
// asks for it is refused with `unsupported_response_mode` (OAuth 2.0 Multiple Response Types §2.1), answered in the
// default mode of its response type. form_post.jwt (JARM) is the same delivery and goes with it.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';

const formPostModes: ReadonlySet<string> = new Set(['form_post', 'form_post.jwt']);

/**
 * oidc-provider's `extraParams` check of `response_mode` (it runs for /auth and PAR, after the request object is
 * read, so a mode inside a signed request counts too).
 * @throws errors.UnsupportedResponseMode for form_post and form_post.jwt
 */
export function refuseFormPost(ctx: KoaContextWithOIDC, responseMode: string | undefined): void {
  if (responseMode === undefined || !formPostModes.has(responseMode)) return;
  // the error goes back in the response type's default mode, not in the mode refused
  if (ctx.oidc.params) ctx.oidc.params.response_mode = undefined;
  throw new errors.UnsupportedResponseMode();
}

/** a client's `response_modes` naming form_post: the message, or null */
export function formPostMetadataProblem(responseModes: unknown): string | null {
  if (!Array.isArray(responseModes) || !responseModes.some((mode) => formPostModes.has(mode as string))) return null;
  return "response_modes cannot include form_post: the tenant's protocol.formPost is off";
}

/** takes form_post out of the discovery document's response_modes_supported (a step of provider-answers.ts) */
export function discoveryWithoutFormPost(ctx: KoaContextWithOIDC): void {
  if (ctx.oidc?.route !== 'discovery' || ctx.status !== 200) return;
  const body = ctx.body as { response_modes_supported?: string[] } | undefined;
  if (body?.response_modes_supported) body.response_modes_supported = body.response_modes_supported.filter((mode) => !formPostModes.has(mode));
}
