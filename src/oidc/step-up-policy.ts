// Step-up (issue #5): a client that asks, with acr_values, for a multi-factor sign-in while the browser's session
// is single-factor gets the login prompt again — oidc-provider's default policy prompts only for *essential* acr
// claims. The hosted flow sees the reason and asks only for the second factor (interactions.routes.ts).
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR_MFA } from './protocol-names.js';

export const stepUpReason = 'mfa_step_up';
export { ACR_MFA };
export const ACR_SINGLE = 'urn:tessera:acr:1fa';
export const PAPE_MFA = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';
export const acrValuesSupported = [ACR_SINGLE, ACR_MFA, PAPE_MFA];

export function asksForMfa(acrValues: unknown): boolean {
  const values = typeof acrValues === 'string' ? acrValues.split(' ') : [];
  return values.includes(ACR_MFA) || values.includes(PAPE_MFA);
}

export function stepUpInteractionPolicy() {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  login.checks.add(new interactionPolicy.Check(stepUpReason, 'a second factor is requested', (ctx: KoaContextWithOIDC) => {
    const { oidc } = ctx;
    // once this interaction has signed in (whatever the gate decided), the prompt is not asked again: no loop
    return oidc.session?.accountId && !oidc.result?.login && asksForMfa(oidc.params?.acr_values) && oidc.session.acr !== ACR_MFA
      ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
  }));
  return policy;
}
