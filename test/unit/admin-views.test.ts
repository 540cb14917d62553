// Every admin console template: values escaped, no inline script or style, every input labelled, ids unique, and
// the CSRF token in every form that posts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { viewsDir } from '../../src/http/page-renderer.js';
import { CSRF, EVIL, EVIL_ESCAPED } from '../support/view-samples.js';
import { PREVIEW_SCRIPT, adminRenderer, adminSamples } from '../support/admin-view-samples.js';

test('there is a sample for every admin view on disk', async () => {
  const views = (await readdir(join(viewsDir, 'admin'))).filter((f) => f.endsWith('.ejs')).map((f) => f.slice(0, -4));
  assert.deepEqual(views.sort(), Object.keys(adminSamples).sort());
});

for (const [view, data] of Object.entries(adminSamples)) {
  test(`admin ${view}: escaped, labelled, script- and style-free, CSRF on every post`, async () => {
    const html = await adminRenderer.render(view, data);
    assert.match(html, /^<!doctype html>/);
    assert.ok(!html.includes(EVIL), 'no value is written unescaped');
    assert.ok(html.includes(EVIL_ESCAPED), 'hostile text is shown escaped');
    assert.doesNotMatch(html.replaceAll(PREVIEW_SCRIPT, ''), /<script/i);
    assert.doesNotMatch(html, /\sstyle\s*=|<style|\son[a-z]+\s*=/i);
    assert.match(html, /<link rel="stylesheet" href="\/admin\/assets\/admin.css">/);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    for (const [input] of html.matchAll(/<(?:input|select|textarea)\b[^>]*>/g)) {
      if (/type="(hidden|checkbox|radio)"/.test(input)) continue;
      const id = /\sid="([^"]+)"/.exec(input)?.[1];
      assert.ok(id && html.includes(`<label for="${id}">`), `labelled: ${input}`);
    }
    for (const [form] of html.matchAll(/<form\b[\s\S]*?<\/form>/g)) {
      if (/method="get"/.test(form)) continue;
      assert.ok(form.includes(`type="hidden" name="_csrf" value="${CSRF}"`), `CSRF field in ${form}`);
    }
  });
}
