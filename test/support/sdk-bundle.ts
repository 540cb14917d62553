// The built app SDK (dist/src/sdk) bundled the way an app's bundler would: one ES module per entry, for the size
// check and for the browser test page. esbuild is a devDependency for exactly this.
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const sdkDir = fileURLToPath(new URL('../../src/sdk/', import.meta.url));

export const sdkEntries = { core: 'index.js', mfa: 'mfa.js', passkeys: 'passkeys.js' } as const;

/** one entry (or a small module importing several) bundled for browsers; minified unless asked otherwise */
export async function bundleSdk(entry: keyof typeof sdkEntries | { contents: string }, minify = true): Promise<string> {
  const result = await build({
    ...(typeof entry === 'string' ? { entryPoints: [sdkDir + sdkEntries[entry]] } : { stdin: { contents: entry.contents, resolveDir: sdkDir, loader: 'js' } }),
    bundle: true, minify, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** bytes after minification and gzip (level 9), what "min+gzip" means in bundle-size reports */
export async function minGzipBytes(entry: keyof typeof sdkEntries): Promise<number> {
  return gzipSync(await bundleSdk(entry), { level: 9 }).length;
}
