// Names the protocol layer defines and code outside it checks against (clients.service.ts, login-transaction.machine.ts,
// the Management API's registration operations): a module of its own, so that importing them does not load
// oidc-provider with the grants and configuration that use them (a CLI command loads only what it needs).

/** the token endpoint's grant that redeems a completed login transaction of a JSON front door (issue #16) */
export const loginTransactionGrantType = 'urn:tessera:params:oauth:grant-type:login-transaction';

/** an app's slug: the `aud` of its headless tokens */
export const appSlugPattern = /^[a-z][a-z0-9-]{1,39}$/;

/** the acr of a sign-in with a second factor; the PAPE multi-factor policy URI asks for the same (step-up-policy.ts) */
export const ACR_MFA = 'urn:tessera:acr:mfa';

/** the policy every initial access token carries: the tenant's registration rules (client-registration.ts) */
export const tenantPolicy = 'tenant-rules';
/** the policy of a single-use token: the first registration spends it */
export const singleUsePolicy = 'single-use';
