// Reading a JSON request body for our own JSON endpoints (Management API, backend OTP API): read as text (at most
// 64 KiB) and parsed by parseJsonInput, which refuses nesting past its limit before JSON.parse runs.
import type { Context } from 'koa';
import { koaBody } from 'koa-body';
import { AppError } from '../errors/app-error.js';
import { parseJsonInput } from '../validation/input-rules.js';

const readers = new Map<string, ReturnType<typeof koaBody>>();
const readerFor = (types: readonly string[]) => {
  const key = types.join(' ');
  let reader = readers.get(key);
  if (!reader) {
    reader = koaBody({ json: false, text: true, textTypes: [...types], urlencoded: false, multipart: false, textLimit: '64kb' });
    readers.set(key, reader);
  }
  return reader;
};

const hasBody = (ctx: Context) => Boolean(ctx.get('transfer-encoding')) || Number(ctx.get('content-length') || 0) > 0;

/**
 * The body's text and its parsed value; undefined when the request has no body.
 * @throws AppError('request.unsupported_media_type' | 'request.too_large' | 'request.invalid')
 */
export async function readJsonText(ctx: Context, types: readonly string[] = ['application/json']): Promise<{ text: string; value: unknown } | undefined> {
  if (!hasBody(ctx)) return undefined;
  if (!ctx.is([...types])) throw new AppError('request.unsupported_media_type', 'The request body must be JSON (Content-Type: application/json).');
  try {
    await readerFor(types)(ctx, async () => undefined);
  } catch (error) {
    if ((error as { status?: number }).status === 413) throw new AppError('request.too_large');
    throw new AppError('request.invalid', 'The request body could not be read as UTF-8 text.');
  }
  const text = typeof ctx.request.body === 'string' ? ctx.request.body : '';
  const value = parseJsonInput(text, { strict: true });
  // the language a refusal of this call is written in (error-language.ts) may be named in the body
  ctx.state.jsonBody = value;
  return { text, value };
}

/** @see readJsonText */
export async function readJsonBody(ctx: Context, types: readonly string[] = ['application/json']): Promise<unknown> {
  return (await readJsonText(ctx, types))?.value;
}
