// Discovery and JWKS are the same for every request to one provider instance (URLs are pinned to PUBLIC_URL,
// keys change only by rebuilding the instance), yet oidc-provider builds and serialises them each time. We keep
// the provider's own serialised answer per instance and replay it with the per-request CORS header it would set
// (lib/shared/cors.js: Origin reflected, Vary: Origin). A rebuilt instance starts with an empty cache.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';

const paths: ReadonlySet<string> = new Set(['/.well-known/openid-configuration', '/jwks']);

interface Document { type: string; body: string }

export function createStaticDocuments() {
  const cache = new WeakMap<Provider, Map<string, Document>>();
  const cacheable = (ctx: Context, path: string) => ctx.method === 'GET' && paths.has(path) && !ctx.querystring;

  return {
    /** answers from the cache; false when the provider must answer */
    serve(ctx: Context, provider: Provider, path: string): boolean {
      const document = cacheable(ctx, path) ? cache.get(provider)?.get(path) : undefined;
      if (!document) return false;
      ctx.vary('Origin');
      ctx.set('Access-Control-Allow-Origin', ctx.get('Origin') || '*');
      ctx.type = document.type;
      ctx.body = document.body;
      return true;
    },
    /** keeps the provider's successful answer */
    remember(ctx: Context, provider: Provider, path: string): void {
      if (!cacheable(ctx, path) || ctx.status !== 200 || ctx.body == null) return;
      const body = typeof ctx.body === 'string' ? ctx.body : JSON.stringify(ctx.body);
      let documents = cache.get(provider);
      if (!documents) cache.set(provider, (documents = new Map()));
      documents.set(path, { type: ctx.response.get('Content-Type') as string, body });
    },
  };
}
