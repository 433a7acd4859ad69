// bundle turns the ES modules of dist/ into one classic script, for the
// self-contained page: each module becomes a function scope whose exports
// are an object, imports become destructurings of those objects. It knows
// only the forms tsc emits for src/ (named imports and exports), and
// refuses anything else, so that a new form cannot slip through unbundled.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const IMPORT = /^import\s*\{([^}]*)\}\s*from\s*'\.\/([\w-]+)\.js';\s*$/gm;
const REEXPORT = /^export\s*\{([^}]*)\}\s*from\s*'\.\/([\w-]+)\.js';\s*$/gm;
const EXPORT_LIST = /^export\s*\{([^}]*)\};\s*$/gm;
const EXPORT_DECL = /^export\s+(async\s+function\*?|function\*?|class|const|let|var)\s+([A-Za-z_$][\w$]*)/gm;

const ident = (m) => '__m_' + m.replace(/-/g, '_');

function specifiers(list) {
  return list.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [from, to] = s.split(/\s+as\s+/);
    return { from: from.trim(), to: (to ?? from).trim() };
  });
}

function transform(name, src) {
  const deps = [];
  const exported = [];
  let out = src.replace(/^\/\/# sourceMappingURL=.*$/gm, '');
  out = out.replace(IMPORT, (_, list, dep) => {
    deps.push(dep);
    const s = specifiers(list);
    return s.length ? `const { ${s.map((x) => (x.from === x.to ? x.from : `${x.from}: ${x.to}`)).join(', ')} } = ${ident(dep)};` : '';
  });
  out = out.replace(REEXPORT, (_, list, dep) => {
    deps.push(dep);
    const s = specifiers(list);
    for (const x of s) exported.push(x.to);
    return `const { ${s.map((x) => (x.from === x.to ? x.from : `${x.from}: ${x.to}`)).join(', ')} } = ${ident(dep)};`;
  });
  out = out.replace(EXPORT_LIST, (_, list) => {
    for (const x of specifiers(list)) exported.push(x.to === x.from ? x.from : `${x.to}: ${x.from}`);
    return '';
  });
  out = out.replace(EXPORT_DECL, (_, kind, id) => {
    exported.push(id);
    return `${kind} ${id}`;
  });
  const left = /^\s*(import|export)\b.*$/m.exec(out);
  if (left) throw new Error(`bundle: ${name}.js: unsupported module syntax: ${left[0]}`);
  return { deps, body: out, exported };
}

/** bundle returns the script for entry (a module name in dir) and its dependencies. */
export function bundle(dir, entry = 'index') {
  const mods = new Map();
  const order = [];
  const visit = (name, stack = []) => {
    if (stack.includes(name)) throw new Error(`bundle: import cycle ${[...stack, name].join(' -> ')}`);
    if (mods.has(name)) return;
    const m = transform(name, readFileSync(join(dir, `${name}.js`), 'utf8'));
    mods.set(name, m);
    for (const d of m.deps) visit(d, [...stack, name]);
    order.push(name);
  };
  visit(entry);
  return order
    .map((name) => {
      const m = mods.get(name);
      return `const ${ident(name)} = (() => {\n${m.body.trim()}\nreturn { ${m.exported.join(', ')} };\n})();`;
    })
    .join('\n');
}
