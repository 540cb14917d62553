// What the bench and the bare oidc-provider share about the bare library's refresh step (bare-provider.server.ts):
// the refresh client of each issuer and where its refresh tokens are minted.
export const bareRefreshClientId = (machineClientId: string) => `${machineClientId}-refresh`;
export const bareRefreshRedirectUri = 'http://127.0.0.1:9/callback';
/** POST here on the bare process's control port: a fresh user's refresh token for the issuer on `issuerPort` */
export const bareMintPath = (issuerPort: number) => `/refresh-token/${issuerPort}`;
