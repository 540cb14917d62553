// Imports run one way (STYLE.md, issue #16 §1): no two folders of src/ may reach each other through their imports,
// type-only imports included — a folder that needs something of a folder above it is a helper in the wrong place.
// Also the rules STYLE.md names: oidc/ never imports the hosted flow, and no folder below the sign-in core imports it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** the top folder of src/ a file belongs to; null for the composition root (app.ts, services.ts, main.ts) */
const folderOf = (file: string): string | null => {
  const parts = relative(src, file).split('/');
  return parts.length > 1 ? parts[0]! : null;
};

/** folder → folder, with one file-level example of each edge for the failure message */
export function folderGraph(files: string[]): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  const specifier = /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  for (const file of files) {
    const from = folderOf(file);
    if (!from) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(specifier)) {
      const target = resolve(dirname(file), (match[1] ?? match[2])!);
      const to = folderOf(target);
      if (!to || to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      if (!edges.has(to)) edges.set(to, `${relative(src, file)} → ${relative(src, target)}`);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** every cycle's folders (strongly connected components of more than one folder), Tarjan */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('no import cycle between folders of src/', () => {
  const graph = folderGraph(sources(src));
  assert.ok(graph.size > 10, 'the scan found the folders');
  const problems = cycles(graph).map((component) => {
    const edges = component.flatMap((a) => component.filter((b) => graph.get(a)?.has(b)).map((b) => `  ${a} → ${b} (${graph.get(a)!.get(b)})`));
    return `${component.join(', ')}:\n${edges.join('\n')}`;
  });
  assert.deepEqual(problems, [], `folders that import each other:\n${problems.join('\n')}`);
});

test('the scan sees a cycle when there is one (the check can fail)', () => {
  const graph = new Map([['a', new Map([['b', 'a/x.ts → b/y.ts']])], ['b', new Map([['a', 'b/y.ts → a/x.ts']])], ['c', new Map([['a', 'c/z.ts → a/x.ts']])]]);
  assert.deepEqual(cycles(graph), [['a', 'b']]);
});

test('the protocol core and the stores never import the sign-in flow', () => {
  const graph = folderGraph(sources(src));
  const flow = new Set(['interactions', 'auth-methods', 'rest-api', 'otp-api', 'admin', 'management', 'cli']);
  for (const low of ['oidc', 'db', 'store', 'tenants', 'accounts', 'login', 'validation', 'errors', 'crypto']) {
    const reached = [...(graph.get(low)?.keys() ?? [])].filter((to) => flow.has(to));
    assert.deepEqual(reached, [], `${low} imports ${reached.join(', ')}`);
  }
});
