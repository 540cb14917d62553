import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';

export interface PageRenderer {
  render(view: string, data: Record<string, unknown>): Promise<string>;
}

// Compiled to dist/src/http/, so the repository's views/ folder is three levels up.
export const viewsDir: string = resolve(fileURLToPath(new URL('../../../views', import.meta.url)));

// A view name is a bare kebab-case word: no dots or slashes, so it can never leave viewsDir
// and partials (views/partials/*) cannot be rendered on their own.
const VIEW_NAME = /^[a-z-]+$/;

/**
 * Renders the hosted pages. Templates escape every value with `<%= %>`; the caller passes plain data.
 * Rejects with an Error (code `http.unknown_view`) for a malformed name or a view that is not a file.
 */
export function createPageRenderer(options: { viewsDir: string; cache: boolean }): PageRenderer {
  const root = resolve(options.viewsDir);
  /** with the template cache on, a view found once is not looked up on disk again (ejs keeps it compiled) */
  const found = new Map<string, string>();

  async function viewFile(view: string): Promise<string> {
    const known = found.get(view);
    if (known) return known;
    if (!VIEW_NAME.test(view)) throw unknownView(view);
    const file = join(root, `${view}.ejs`);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw unknownView(view);
    if (options.cache) found.set(view, file);
    return file;
  }

  return {
    async render(view, data) {
      const file = await viewFile(view);
      // Options are always passed explicitly so nothing in `data` can set ejs options
      // (the CVE-2022-29078 class of bugs); strict mode stays off so templates can use `with` locals.
      return ejs.renderFile(file, data, {
        cache: options.cache,
        root,
        views: [root],
        async: false,
      });
    },
  };
}

function unknownView(view: string): Error {
  return Object.assign(new Error(`http.unknown_view: ${JSON.stringify(view.slice(0, 64))}`), {
    code: 'http.unknown_view',
  });
}
