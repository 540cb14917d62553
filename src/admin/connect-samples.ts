// "Connect your app" on a client's page (issue #14): the issuer, the discovery URL and a starting configuration for
// the three libraries apps use most — openid-client (Node servers), Auth.js (Next.js and friends), oidc-client-ts
// (browsers). Values come from the tenant's issuer (PUBLIC_URL), never from the request; the secret is never shown
// here, only the name of the environment variable the app should read it from.

export interface ConnectPanel {
  issuer: string;
  discovery: string;
  samples: { id: string; title: string; note: string; code: string }[];
}

interface ClientFacts { clientId: string; hasSecret: boolean; grants: readonly string[]; redirectUris: readonly string[] }

const js = (value: string) => JSON.stringify(value);

/** `t`: the console's words (the notes are catalogue texts; the code is code) */
export function connectPanel(t: (key: string, vars?: Record<string, string>) => string, issuer: string, client: ClientFacts): ConnectPanel {
  const discovery = `${issuer}/.well-known/openid-configuration`;
  const redirect = client.redirectUris[0] ?? 'https://app.example/callback';
  const secret = 'process.env.TESSERA_CLIENT_SECRET';
  const samples: ConnectPanel['samples'] = [];
  if (client.grants.includes('client_credentials') && !client.grants.includes('authorization_code')) {
    samples.push({
      id: 'openid-client', title: 'openid-client (Node.js)', note: t('console.client.sampleMachine'),
      code: [
        "import * as client from 'openid-client';",
        '',
        `const config = await client.discovery(new URL(${js(issuer)}), ${js(client.clientId)}, ${secret});`,
        "const tokens = await client.clientCredentialsGrant(config, { resource: 'https://api.example' });",
      ].join('\n'),
    });
    return { issuer, discovery, samples };
  }
  samples.push({
    id: 'openid-client', title: 'openid-client (Node.js server)', note: t('console.client.sampleServer', { redirect }),
    code: [
      "import * as client from 'openid-client';",
      '',
      client.hasSecret
        ? `const config = await client.discovery(new URL(${js(issuer)}), ${js(client.clientId)}, ${secret});`
        : `const config = await client.discovery(new URL(${js(issuer)}), ${js(client.clientId)}, undefined, client.None());`,
      'const verifier = client.randomPKCECodeVerifier();',
      'const url = client.buildAuthorizationUrl(config, {',
      `  redirect_uri: ${js(redirect)}, scope: 'openid profile email',`,
      "  code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',",
      '});',
      '// on the callback: await client.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: verifier })',
    ].join('\n'),
  });
  if (client.hasSecret) {
    samples.push({
      id: 'authjs', title: 'Auth.js', note: t('console.client.sampleAuthjs'),
      code: [
        'providers: [{',
        "  id: 'tessera', name: 'Tessera', type: 'oidc',",
        `  issuer: ${js(issuer)},`,
        `  clientId: ${js(client.clientId)},`,
        '  clientSecret: process.env.AUTH_TESSERA_SECRET,',
        '}]',
      ].join('\n'),
    });
  } else {
    samples.push({
      id: 'oidc-client-ts', title: 'oidc-client-ts (browser)', note: t('console.client.samplePublic'),
      code: [
        "import { UserManager } from 'oidc-client-ts';",
        '',
        'const users = new UserManager({',
        `  authority: ${js(issuer)},`,
        `  client_id: ${js(client.clientId)},`,
        `  redirect_uri: ${js(redirect)},`,
        "  scope: 'openid profile email',",
        '});',
        'await users.signinRedirect(); // on the callback page: await users.signinRedirectCallback()',
      ].join('\n'),
    });
  }
  return { issuer, discovery, samples };
}
