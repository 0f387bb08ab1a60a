import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The folders' import rules (see the layout in README and DESIGN): data flows one way.
 * engine/ imports nothing of ours; scenarios/ only engine/; core/ (the results file, the
 * comparison's and calibration's shapes, statistics) only engine/ and scenarios/ types;
 * reports/ renders results and never reaches into harness/; harness/ imports reports/ only to
 * render.
 */
const ALLOWED: Record<string, readonly string[]> = {
  engine: ['engine'],
  scenarios: ['scenarios', 'engine'],
  core: ['core', 'engine', 'scenarios'],
  reports: ['reports', 'core', 'engine'],
  harness: ['harness', 'core', 'reports', 'scenarios', 'engine'],
};

/** What harness/ may take from reports/: renderers and their formatting helpers. */
const RENDERERS = new Set(['reports/render.ts', 'reports/summary.ts', 'reports/compare.ts', 'reports/calibration.ts', 'reports/export.ts', 'reports/format.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The relative module specifiers of a text (static, dynamic, `export … from`, `import type`, bare `import '…'`). */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
}

/** Every relative import of a file, as a project path. */
function imports(file: string): string[] {
  return specifiers(readFileSync(file, 'utf8')).map((s) => path.normalize(path.join(path.dirname(file), s)).replace(/\.js$/, '.ts'));
}

test('each folder imports only the folders below it; harness takes only renderers from reports', (t) => {
  const broken: string[] = [];
  let checked = 0;
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    for (const file of sources(folder)) {
      for (const target of imports(file)) {
        checked++;
        const top = target.split(path.sep)[0]!;
        if (!allowed.includes(top)) broken.push(`${file} imports ${target}`);
        else if (folder === 'harness' && top === 'reports' && !RENDERERS.has(target)) broken.push(`${file} imports ${target}, which is not a renderer`);
      }
    }
  }
  t.true(checked > 100, `only ${checked} imports seen: the scan is broken`);
  t.deepEqual(broken, []);
});

test('the import scan sees every kind of import it guards against', (t) => {
  // The rule above is only as good as the scan: it must catch the forms a violation could take.
  const sample = ["import { a } from '../harness/x.js';", "import type { B } from './y.js';", "export { c } from '../core/z.js';", "await import('../engine/w.js');", "import '../scenarios/v.js';", "import x from 'node:fs';"].join('\n');
  t.deepEqual(specifiers(sample), ['../harness/x.js', './y.js', '../core/z.js', '../engine/w.js', '../scenarios/v.js']);
});
