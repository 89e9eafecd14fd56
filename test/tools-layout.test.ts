// The host tools' layout shows their architecture: each folder under tools/ is one tool or one shared
// library, the dependencies between folders run one way (no two import each other, no longer loop),
// and no source folder is named like build output, which code-mapping tools and people skip.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { test } from "node:test";
import ts from "typescript";

const ROOT = join(import.meta.dirname, "..");
const TOOLS = join(ROOT, "tools");
/** Folder names that read as generated output. */
const OUTPUT_NAMES = new Set(["build", "builds", "dist", "out", "output", "target", "generated", "gen", "tmp", "coverage"]);

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === "node_modules" ? [] : files(join(dir, e.name), ext)) : ext.test(e.name) ? [join(dir, e.name)] : []);
}

/** Folder -> the other tools/ folders its modules import (a top-level file such as tools/start.ts is its own "folder"). */
export function folderGraph(root: string): Map<string, Set<string>> {
  const folderOf = (file: string) => relative(root, file).split(sep)[0]!;
  const graph = new Map<string, Set<string>>();
  for (const f of files(root, /\.(ts|js|mjs)$/)) {
    const from = folderOf(f);
    const deps = graph.get(from) ?? new Set<string>();
    graph.set(from, deps);
    for (const spec of ts.preProcessFile(readFileSync(f, "utf8"), true, false).importedFiles.map((i) => i.fileName)) {
      if (!spec.startsWith(".")) continue;
      const target = resolve(dirname(f), spec);
      const rel = relative(root, target);
      if (rel.startsWith("..")) continue;
      const to = folderOf(target);
      if (to !== from) deps.add(to);
    }
  }
  return graph;
}

/** Every cycle of folders, each once, as "a -> b -> a". */
export function cycles(graph: Map<string, Set<string>>): string[] {
  const found = new Set<string>();
  const walk = (path: string[]) => {
    for (const next of graph.get(path.at(-1)!) ?? []) {
      const i = path.indexOf(next);
      if (i >= 0) {
        const loop = path.slice(i);
        // One spelling per cycle: start at its smallest name.
        const k = loop.indexOf([...loop].sort()[0]!);
        const canon = [...loop.slice(k), ...loop.slice(0, k)];
        found.add([...canon, canon[0]].join(" -> "));
      } else walk([...path, next]);
    }
  };
  for (const start of graph.keys()) walk([start]);
  return [...found].sort();
}

test("no two tool folders import each other, directly or around a loop", () => {
  const graph = folderGraph(TOOLS);
  assert.ok(graph.has("bundler") && graph.has("flash") && graph.has("serial"), "found the tools");
  assert.deepEqual(cycles(graph), []);
});

test("the loop check finds a mutual import and a longer loop", () => {
  const g = new Map([["flash", new Set(["monitor"])], ["monitor", new Set(["flash", "common"])], ["common", new Set<string>()],
    ["a", new Set(["b"])], ["b", new Set(["c"])], ["c", new Set(["a"])]]);
  assert.deepEqual(cycles(g), ["a -> b -> c -> a", "flash -> monitor -> flash"]);
});

test("no source folder is named like build output", () => {
  const dirs = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== "node_modules" && !e.name.startsWith("."))
    .flatMap((e) => [join(dir, e.name), ...dirs(join(dir, e.name))]);
  const named = ["src", "tools", "test", "board", "docs"].flatMap((top) => {
    try {
      return dirs(join(ROOT, top));
    } catch {
      return [];
    }
  }).filter((d) => OUTPUT_NAMES.has(d.split(sep).at(-1)!)).map((d) => relative(ROOT, d));
  assert.deepEqual(named, []);
});
