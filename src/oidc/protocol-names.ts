// Names the protocol layer defines and services outside it check against (clients.service.ts, login-transaction.machine.ts): a module of its own,
// so that importing them does not load oidc-provider with the grant and configuration that use them.

/** the token endpoint's grant that redeems a completed login transaction of a JSON front door (issue #16) */
export const loginTransactionGrantType = 'urn:tessera:params:oauth:grant-type:login-transaction';

/** an app's slug: the `aud` of its headless tokens */
export const appSlugPattern = /^[a-z][a-z0-9-]{1,39}$/;

/** the acr of a sign-in with a second factor; the PAPE multi-factor policy URI asks for the same (step-up-policy.ts) */
export const ACR_MFA = 'urn:tessera:acr:mfa';
