// The facts the code relies on live in docs/ (issue 11), and comments cite them as `docs/<file>.md §N`
// (or §N.M, §N-M, or the bare file). Every such citation in src/, tools/, test/ and docs/ must name a
// file that exists and sections that file has; and nothing may cite the documents outside the
// repository that used to hold these facts.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

const ROOT = join(import.meta.dirname, "..");

/** Where citations of docs/ are looked for. */
const CITING_FOLDERS = ["src", "tools", "test", "docs", "board"];

/** Folders (and top-level files) that must not cite the old documents: all of them, since the sweep. */
const SWEPT_FOLDERS = ["src", "tools", "test", "docs", "board"];
const SWEPT_FILES = ["README.md", "rollup.config.js", "flash.sh", "package.json"];
/** This test names the old citations itself. */
const SELF = "test/docs-citations.test.ts";

/** How the old documents were cited: their paths, and the names comments gave them. */
const OLD_CITATIONS = [/shared\/docs/, /espruino-platform\.md/, /thingsboard-device-api\.md/, /platform doc/i, /device API doc/i];

const TEXT_FILE = /\.(ts|js|mjs|cjs|c|h|md|json|sh|py)$/;

function textFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === "node_modules" || e.name.startsWith(".")) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? textFiles(path) : TEXT_FILE.test(e.name) ? [path] : [];
  });
}

interface Citation {
  file: string;
  /** Section numbers cited ("3", "3.2"); empty for the bare file. A range gives both ends. */
  sections: string[];
  line: number;
}

const SECTION = String.raw`(\d+(?:\.\d+)*)`;
// A path to docs/ from the repository root (or through "../"), not one that merely ends in docs/
// (such as shared/docs/, the old home, checked separately).
const CITATION = new RegExp(String.raw`(?<![\w./-])(?:\.\.?\/)*docs\/([\w.-]+?\.md)((?:\s*(?:,|and|or)?\s*§\s*${SECTION}(?:\s*[-–]\s*${SECTION})?)*)`, "g");
const SECTION_REF = new RegExp(String.raw`§\s*${SECTION}(?:\s*[-–]\s*${SECTION})?`, "g");

/** The docs/ citations in `text`, with the line each starts on. */
function citations(text: string): Citation[] {
  const found: Citation[] = [];
  for (const m of text.matchAll(CITATION)) {
    const sections: string[] = [];
    for (const s of m[2]!.matchAll(SECTION_REF)) {
      sections.push(s[1]!);
      if (s[2]) sections.push(s[2]);
    }
    found.push({ file: m[1]!, sections, line: text.slice(0, m.index).split("\n").length });
  }
  return found;
}

/** The numbered sections of a Markdown text: "## 3. Title" gives "3", "### 3.2 Title" gives "3.2". */
function sectionsOf(markdown: string): Set<string> {
  const ids = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(?:§\s*)?(\d+(?:\.\d+)*)\.?\s/.exec(line);
    if (m) ids.add(m[1]!);
  }
  return ids;
}

test("the citation finder reads the forms the code uses, and not the old shared documents", () => {
  const d = "docs/"; // spelt in two parts so this file's own text holds no citation
  const text = [
    `// a fact (${d}espruino.md §3.2) and two (${d}espruino.md §2-3)`,
    `/** see ${d}thingsboard.md, and ${d}espruino.md §1.4, §2.1 and §3 */`,
    `// old: shared/${d}espruino-platform.md §1; not ours: EspruinoDocs/x.md, my${d}a.md; ../${d}espruino.md §4`,
  ].join("\n");
  assert.deepEqual(citations(text), [
    { file: "espruino.md", sections: ["3.2"], line: 1 },
    { file: "espruino.md", sections: ["2", "3"], line: 1 },
    { file: "thingsboard.md", sections: [], line: 2 },
    { file: "espruino.md", sections: ["1.4", "2.1", "3"], line: 2 },
    { file: "espruino.md", sections: ["4"], line: 3 },
  ]);
  assert.deepEqual([...sectionsOf("# Title\n## 1. One\n### 1.2 Sub\n```\n## 9. in a fence\n```\n## §3 Three\n#12) no heading\n")], ["1", "1.2", "3"]);
});

test("every docs/ citation in src/, tools/, test/ and docs/ names an existing file and section", () => {
  const problems: string[] = [];
  let count = 0;
  const docSections = new Map<string, Set<string> | undefined>();
  for (const path of CITING_FOLDERS.flatMap((f) => textFiles(join(ROOT, f)))) {
    for (const c of citations(readFileSync(path, "utf8"))) {
      count++;
      const where = `${relative(ROOT, path)}:${c.line}`;
      if (!docSections.has(c.file)) {
        const doc = join(ROOT, "docs", c.file);
        docSections.set(c.file, existsSync(doc) ? sectionsOf(readFileSync(doc, "utf8")) : undefined);
      }
      const sections = docSections.get(c.file);
      if (!sections) {
        problems.push(`${where} cites docs/${c.file}, which does not exist`);
        continue;
      }
      for (const s of c.sections) if (!sections.has(s)) problems.push(`${where} cites docs/${c.file} §${s}, which has no such section`);
    }
  }
  assert.ok(count >= 10, `found ${count} citations: the finder still reads the comments`);
  assert.deepEqual(problems, []);
});

test(`no file in ${SWEPT_FOLDERS.join(", ")} cites the documents outside the repository`, () => {
  const problems: string[] = [];
  const paths = [...SWEPT_FOLDERS.flatMap((f) => textFiles(join(ROOT, f))), ...SWEPT_FILES.map((f) => join(ROOT, f))];
  for (const path of paths.filter((p) => relative(ROOT, p) !== SELF)) {
    readFileSync(path, "utf8").split("\n").forEach((line, i) => {
      const old = OLD_CITATIONS.find((re) => re.test(line));
      if (old) problems.push(`${relative(ROOT, path)}:${i + 1} matches ${old}: cite docs/espruino.md or docs/thingsboard.md instead`);
    });
  }
  assert.deepEqual(problems, []);
});
