// The development demo as a newcomer reads it: the start-up banner (issuer, client, user, the sign-in URL and the
// `export` lines) and the callback page's command, run in a shell exactly as shown.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { TesseraProcess } from './tessera-process.js';

export interface DemoBanner { issuer: string; clientId: string; clientSecret: string; redirectUri: string; email: string; password: string; authorizationUrl: URL; exports: string }

export const bannerCount = (output: string) => output.match(/Tessera demo/g)?.length ?? 0;

/** the fields of the banner printed in `output` (a server's output or `tessera demo`) */
export function parseBanner(output: string): DemoBanner {
  const field = (pattern: RegExp) => {
    const match = pattern.exec(output);
    assert.ok(match, `no ${pattern} in:\n${output}`);
    return match[1]!;
  };
  const [, email, password] = /User\s+(\S+@\S+) \/ (\S+)/.exec(output) ?? assert.fail(`no user in:\n${output}`);
  return {
    issuer: field(/Issuer\s+(\S+)/),
    clientId: field(/Client id\s+(\S+)/),
    clientSecret: field(/Client secret\s+(\S+)/),
    redirectUri: field(/Redirect URI\s+(\S+)/),
    email: email!,
    password: password!,
    authorizationUrl: new URL(field(/Open this in a browser[^\n]*\n[^\n]*?(http\S+)/)),
    exports: [field(/^(export CLIENT_ID=.*)$/m), field(/^(export CLIENT_SECRET=.*)$/m)].join('\n'),
  };
}

/** waits (up to `ms`) until the server has printed the whole banner, and reads it */
export async function waitForBanner(server: TesseraProcess, ms = 20_000): Promise<DemoBanner> {
  const deadline = Date.now() + ms;
  while (!/^export CLIENT_SECRET=/m.test(server.output())) {
    if (Date.now() > deadline) assert.fail(`no demo banner printed:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return parseBanner(server.output());
}

const named: Record<string, string> = { quot: '"', lt: '<', gt: '>', amp: '&', apos: "'" };
/** what a person copying text from the page's HTML gets */
export const unescapeHtml = (html: string) => html.replace(/&(#\d+|[a-z]+);/g, (entity, name: string) =>
  name.startsWith('#') ? String.fromCodePoint(Number(name.slice(1))) : named[name] ?? entity);

/** runs `script` with `sh -c` and nothing of this process's environment but PATH */
export function sh(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', script], { env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Pastes the banner's `export` lines and then the callback page's `command` into a shell, as the page says.
 * @returns the token response the command printed
 */
export async function runCallbackCommand(banner: DemoBanner, command: string): Promise<Record<string, string>> {
  const run = await sh(`${banner.exports}\n${command}`);
  assert.equal(run.code, 0, run.stderr);
  const tokens = JSON.parse(run.stdout) as Record<string, string>;
  assert.ok(tokens.access_token && tokens.id_token, `the exchange succeeds as shown: ${run.stdout}`);
  return tokens;
}
