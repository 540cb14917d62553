// What the console shows of the demo: at the start that creates or changes it, and on `tessera demo`.
import type { DemoInfo } from './demo.service.js';

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export function demoBanner(demo: DemoInfo): string {
  const user = demo.password
    ? `${demo.email} / ${demo.password}`
    : `${demo.email} (password changed since it was set: \`npx tessera demo --reset\` sets a new one)`;
  return `
  ┌─ Tessera demo ────────────────────────────────────────────────────────────────────────
  │ Issuer         ${demo.issuer}
  │ Discovery      ${demo.issuer}/.well-known/openid-configuration
  │ Client id      ${demo.clientId}
  │ Client secret  ${demo.clientSecret}
  │ Redirect URI   ${demo.redirectUri}
  │ User           ${user}
  │
  │ Open this in a browser to sign in:
  │ ${demo.authorizationUrl}
  │
  │ \`npx tessera demo\` shows this again; \`npx tessera demo --reset\` sets a new secret and password.
  └──────────────────────────────────────────────────────────────────────────────────────
  For the curl command on the callback page, in your shell:

export CLIENT_ID=${shellQuote(demo.clientId)}
export CLIENT_SECRET=${shellQuote(demo.clientSecret)}

`;
}

/** one line at a start that changed nothing: where to begin, and where the details are */
export function demoHint(origin: string): string {
  return `  Demo ready: open ${origin}/ to begin; \`npx tessera demo\` shows its sign-in details.\n`;
}
