// What Tessera does to each tenant provider's answer once the provider has made it, as one middleware of the
// provider (oidc-provider's `provider.use`). Each step used to be an async middleware of its own, `await next()`
// then a look at the answer; six such layers cost every token request a dozen promises and their garbage
// (npm run bench, README "Benchmarks"). The steps run in the order those layers unwound, innermost first, and a step
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

export function providerAnswers(steps: ProviderAnswerSteps): Middleware {
  const { answered, onSettled, rewrites } = steps;
  return async function afterProviderAnswer(context, next) {
    const ctx = context as KoaContextWithOIDC;
    // (plain loops, not a helper: an async helper would bring back the promises this file exists to save)
    try {
      await next();
      for (const step of answered) {
        const pending = step(ctx);
        if (pending) await pending;
      }
    } finally {
      const pending = onSettled(ctx);
      if (pending) await pending;
    }
    for (const step of rewrites) {
      const pending = step(ctx);
      if (pending) await pending;
    }
  };
}
