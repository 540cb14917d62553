// What Tessera does to each tenant provider's answer once the provider has made it, as one middleware of the
// provider (oidc-provider's `provider.use`). Each step used to be an async middleware of its own, `await next()`
// then a look at the answer; six such layers cost every token request a dozen promises and their garbage
// (npm run bench, docs/benchmarks.md). The steps run in the order those layers unwound, innermost first, and a step
// returns a promise only when it has work to wait for, so a client_credentials token waits for none of them.
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';

/** a look at (and maybe a change of) the provider's finished answer; a promise only when there is work to wait for */
export type AnswerStep = (ctx: KoaContextWithOIDC) => Promise<void> | undefined | void;

export interface ProviderAnswerSteps {
  /** first, while the answer may still be a thrown error: run inside the `try` whose `finally` is `onSettled` */
  answered: AnswerStep[];
  /** run even when the provider or an `answered` step threw (the rotation rollback) */
  onSettled: AnswerStep;
  /** then, once `onSettled` is done and nothing threw */
  rewrites: AnswerStep[];
}

/** the steps one after the other: a promise only from the first step that returns one (then for the rest) */
function inTurn(steps: readonly AnswerStep[], ctx: KoaContextWithOIDC, from = 0): Promise<void> | undefined {
  for (let i = from; i < steps.length; i++) {
    const pending = steps[i]!(ctx);
    if (pending) return pending.then(() => inTurn(steps, ctx, i + 1));
  }
  return undefined;
}

export function providerAnswers(steps: ProviderAnswerSteps): Middleware {
  const { answered, onSettled, rewrites } = steps;

  // what `try { await next(); answered } finally { onSettled } rewrites` does, without an async frame: a
  // client_credentials token makes one promise here (next()'s `then`) instead of an async function's several
  function settledThenThrow(ctx: KoaContextWithOIDC, error: unknown): Promise<never> {
    const pending = onSettled(ctx);
    if (pending) return pending.then(() => { throw error; });
    throw error;
  }
  function settledThenRewrites(ctx: KoaContextWithOIDC): Promise<void> | undefined {
    const pending = onSettled(ctx);
    return pending ? pending.then(() => inTurn(rewrites, ctx)) : inTurn(rewrites, ctx);
  }
  function afterAnswer(ctx: KoaContextWithOIDC): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    try {
      pending = inTurn(answered, ctx);
    } catch (error) {
      return settledThenThrow(ctx, error);
    }
    if (!pending) return settledThenRewrites(ctx);
    return pending.then(() => settledThenRewrites(ctx), (error: unknown) => settledThenThrow(ctx, error));
  }

  return function afterProviderAnswer(context, next) {
    const ctx = context as KoaContextWithOIDC;
    return next().then(() => afterAnswer(ctx), (error: unknown) => settledThenThrow(ctx, error));
  };
}
