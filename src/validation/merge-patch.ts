// JSON Merge Patch (RFC 7396), as tenant settings and user profiles are updated: one implementation for both.
import { assertCleanInput } from './input-rules.js';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => !!value && typeof value === 'object' && !Array.isArray(value);

/**
 * RFC 7396 over `target`. Recursive, so the patch's depth is checked first.
 * @throws AppError('request.invalid') for a patch nested too deep or holding a NUL
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  assertCleanInput(patch, 'patch');
  return applyMergePatch(target, patch);
}

/** RFC 7396 for a patch already checked (mergePatch checks first) */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}
