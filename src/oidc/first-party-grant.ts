// Consent is skipped for clients the tenant marks first-party (its own apps): their grant is created or
// widened to what the request asks for. Third-party clients keep the library default (an existing grant only).
import type { KoaContextWithOIDC, Grant } from 'oidc-provider';

export async function loadFirstPartyGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const client = oidc.client!;
  const grantId = oidc.result?.consent?.grantId || oidc.session!.grantIdFor(client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!(client as unknown as { first_party?: boolean }).first_party) return grant;

  grant ??= new oidc.provider.Grant({ clientId: client.clientId, accountId: oidc.session!.accountId! });
  grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
  const claims = [...oidc.requestParamClaims].filter((claim) => claim !== 'sub');
  if (claims.length) grant.addOIDCClaims(claims);
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    if (server.scope) grant.addResourceScope(indicator, server.scope);
  }
  await grant.save();
  return grant;
}
