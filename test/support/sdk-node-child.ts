// Run by test/integration/sdk-node-versions.test.ts under each Node found on the machine (`node sdk-node-child.js
// ISSUER EMAIL PASSWORD`): the app SDK's password sign-in, the user, a refresh of an expired access token and
// sign-out, as an app on that runtime would call them. Prints one JSON line of what it saw; exits 1 on any error.
import { createClient, memoryStorage, TesseraError, type Session } from '../../src/sdk/index.js';

const [issuer, email, password] = process.argv.slice(2) as [string, string, string];
const storage = memoryStorage();
const key = `tessera:${issuer}:tessera-rest:session`;
const first = createClient({ issuer, clientId: 'tessera-rest', storage });
const wrong = await first.auth.signIn({ email, password: `${password}-wrong` }).catch((error: unknown) => error);
const signedIn = await first.auth.signIn({ email, password });
const user = await first.auth.getUser();
first.dispose();
// the next start of the app finds its stored session with the access token expired: its first call refreshes
const stored = JSON.parse((await storage.getItem(key))!) as Session;
await storage.setItem(key, JSON.stringify({ ...stored, access_expires_at: new Date(Date.now() - 1000).toISOString() }));
const client = createClient({ issuer, clientId: 'tessera-rest', storage });
try {
  const refreshed = await client.auth.getAccessToken();
  await client.auth.signOut();
  process.stdout.write(`${JSON.stringify({
    node: process.version,
    wrongCode: wrong instanceof TesseraError ? wrong.code : String(wrong),
    status: signedIn.status,
    email: user.email,
    refreshed: refreshed !== stored.access_token,
    afterSignOut: await client.auth.getSession(),
  })}\n`);
} finally {
  client.dispose();
}
