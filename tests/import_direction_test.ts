/**
 * The layout's rules, enforced: who may import whom inside lib/.
 *
 * - shared/ imports nothing from server/, client/ or gui/;
 * - server/ and client/ never import each other, and server/ never gui/;
 * - gui/ may use client/ and shared/, never server/;
 * - no import cycles, type-only imports included;
 * - the codec (shared/wire/) does no I/O: no `Deno.*`, no async.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";

const LIB = fileURLToPath(new URL("../lib/", import.meta.url));

/** The top folder of lib/ a module belongs to. */
type Part = "shared" | "server" | "client" | "gui";

/** Which parts each part may import. */
const ALLOWED: Record<Part, readonly Part[]> = {
  shared: ["shared"],
  server: ["server", "shared"],
  client: ["client", "shared"],
  gui: ["gui", "client", "shared"],
};

/** Module path (relative to lib/) → the lib/ modules it imports (relative to lib/). */
type ImportGraph = Map<string, string[]>;

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;

/** The relative specifiers in a module's source, resolved against its path. */
function importsOf(path: string, source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(SPECIFIER)) {
    const spec = match[1];
    if (spec.startsWith(".")) found.push(posix.normalize(posix.join(posix.dirname(path), spec)));
  }
  return found;
}

/** Every problem with the rules above in `graph` (empty when there is none). */
function importProblems(graph: ImportGraph): string[] {
  const problems: string[] = [];
  const partOf = (path: string) => path.split("/")[0] as Part;
  for (const [from, targets] of graph) {
    const part = partOf(from);
    if (!(part in ALLOWED)) {
      problems.push(`${from} is outside shared/, server/, client/ and gui/`);
      continue;
    }
    for (const to of targets) {
      if (to.startsWith("..")) {
        problems.push(`${from} imports ${to}, outside lib/`);
      } else if (!ALLOWED[part].includes(partOf(to))) {
        problems.push(`${from} imports ${to}: ${part}/ may not import ${partOf(to)}/`);
      }
    }
  }
  problems.push(...cycles(graph));
  return problems;
}

/** One sentence per import cycle found by a depth-first walk. */
function cycles(graph: ImportGraph): string[] {
  const found: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") {
        found.push(`import cycle: ${[...path.slice(path.indexOf(next)), next].join(" → ")}`);
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    path.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

/** Reads every .ts and .js module under lib/ with its source. */
async function readLib(): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const full = join(dir, entry.name);
      if (entry.isDirectory) await walk(full);
      else if (/\.(ts|js)$/.test(entry.name)) {
        // Module paths with "/" on every OS (relative() gives "\\" on Windows).
        sources.set(relative(LIB, full).replaceAll("\\", "/"), await Deno.readTextFile(full));
      }
    }
  };
  await walk(LIB);
  return sources;
}

Deno.test("lib/ keeps its import directions and has no cycles", async () => {
  const sources = await readLib();
  assert.ok(sources.size > 40, `only ${sources.size} modules found under ${LIB}`);
  const graph: ImportGraph = new Map();
  for (const [path, source] of sources) graph.set(path, importsOf(path, source));
  assert.deepEqual(importProblems(graph), []);
  for (const part of ["shared", "server", "client", "gui"]) {
    assert.ok([...graph.keys()].some((p) => p.startsWith(`${part}/`)), `no modules in ${part}/`);
  }
});

Deno.test("the codec in lib/shared/wire/ does no I/O and nothing async", async () => {
  const sources = await readLib();
  const wire = [...sources].filter(([path]) => path.startsWith("shared/wire/"));
  assert.ok(wire.length >= 6);
  for (const [path, source] of wire) {
    const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    assert.doesNotMatch(code, /\bDeno\./, `${path} uses Deno.*`);
    assert.doesNotMatch(code, /\basync\b|\bawait\b/, `${path} is async`);
  }
});

Deno.test({
  name: "importProblems() finds each kind of broken rule",
  permissions: "none",
  fn() {
    const graph = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));
    assert.deepEqual(importProblems(graph({ "shared/a.ts": ["shared/b.ts"] })), []);
    assert.match(
      importProblems(graph({ "shared/a.ts": ["server/b.ts"] })).join(),
      /shared\/ may not import server\//,
    );
    assert.match(
      importProblems(graph({ "server/a.ts": ["client/b.ts"] })).join(),
      /server\/ may not import client\//,
    );
    assert.match(
      importProblems(graph({ "client/a.ts": ["server/b.ts"] })).join(),
      /client\/ may not import server\//,
    );
    assert.match(
      importProblems(graph({ "gui/a.ts": ["server/b.ts"] })).join(),
      /gui\/ may not import server\//,
    );
    assert.deepEqual(importProblems(graph({ "gui/a.ts": ["client/b.ts", "shared/c.ts"] })), []);
    assert.match(
      importProblems(graph({ "shared/a.ts": ["shared/b.ts"], "shared/b.ts": ["shared/a.ts"] }))
        .join(),
      /import cycle: shared\/a\.ts → shared\/b\.ts → shared\/a\.ts/,
    );
    assert.match(importProblems(graph({ "tools/a.ts": [] })).join(), /outside shared\//);
    assert.deepEqual(
      importsOf("server/a.ts", 'import { x } from "../shared/x.ts";\nimport "./y.ts";'),
      ["shared/x.ts", "server/y.ts"],
    );
  },
});
