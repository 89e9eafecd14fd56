// The per-part breakdown of `npm run bench -- ram`: where the firmware's JsVars go at boot.
//
// The built bundle (plain statements at the interpreter's top level, or rollup format "iife": one
// function whose body is the firmware's top level) gets a probe call after each top-level declarator
// and statement: `let a=…,b=…;` becomes `let a=…;__ramProbe(7);let b=…;__ramProbe(8);` and a
// statement `f(),g();` (terser joins statements with commas) becomes
// `f();__ramProbe(9);g();__ramProbe(10);`. Same code, same order, no new
// variables: the probe, a global function defined in Storage `.boot1` on every board of the bench,
// prints process.memory().usage (after the collection process.memory() runs), and the difference
// between two probes is what the code between them kept. Consecutive probes with nothing between
// measure the probe's own cost, subtracted from every part. Each part is named through the bundle's
// source map: the src/ module it comes from, or for src/main.ts the start-up step, by the first
// function that step calls ("main.ts: createLink(...)"). Works on any bundle of either shape; it
// depends on no minified name.
import * as acorn from "acorn";
import { TraceMap, decodedMappings } from "@jridgewell/trace-mapping";
import ts from "typescript";
import { normaliseSourcePath } from "../bundler/gate/locate.ts";

/** The probe's global name: no clash with the bundle's one- and two-letter names. */
export const PROBE_FN = "__ramProbe";
/** Storage `.boot1` text defining the probe. Usage is read before the line is built, so the line's
 *  own string is not counted. */
export const PROBE_DEFINITION =
  `function ${PROBE_FN}(k){var u=process.memory().usage;print("ram: probe "+k+" "+u);}\n`;
export const PROBE_LINE = /^ram: probe (\d+) (\d+)$/;
/** Probes placed back to back at the start of the body: their differences are the probe's own cost. */
export const CALIBRATION_PROBES = 4;

export interface InstrumentedBundle {
  code: string;
  /** parts[i] names what runs between probe CALIBRATION_PROBES + i - 1 and probe CALIBRATION_PROBES + i. */
  parts: string[];
  /** Probes in all: 0 … probes - 1. */
  probes: number;
  /** True for a bundle that is one function called at once (rollup "iife"), false for plain statements. */
  wrapped: boolean;
}

type Node = acorn.Node & Record<string, any>;

/** The firmware's top-level statements and where the first probes go: the body of the one function
 *  a rollup "iife" bundle is (`(()=>{…})()`, `(function(){…})()`, `!function(){…}()`), or the
 *  statements of a bundle that runs at the interpreter's top level (format "es" without exports). */
function topLevel(program: Node): { statements: Node[]; at: number; wrapped: boolean } {
  const all = program.body as Node[];
  if (all.length === 1 && all[0]!.type === "ExpressionStatement") {
    let e = all[0]!.expression as Node;
    if (e.type === "UnaryExpression") e = e.argument;
    if (e.type === "CallExpression" && /^(Arrow)?FunctionExpression$/.test(e.callee.type) && e.callee.body.type === "BlockStatement") {
      return { statements: e.callee.body.body, at: e.callee.body.start + 1, wrapped: true };
    }
  }
  const first = all.find((st) => !st.directive);
  if (!first) throw new Error("bench ram: the bundle has no statements: no breakdown");
  return { statements: all.slice(all.indexOf(first)), at: first.start, wrapped: false };
}

/** acorn's tree of the bundle: as a script (what the interpreter runs), else as a module. */
function parseBundle(code: string): Node {
  try {
    return acorn.parse(code, { ecmaVersion: "latest", sourceType: "script", allowHashBang: true }) as Node;
  } catch (script) {
    try {
      return acorn.parse(code, { ecmaVersion: "latest", sourceType: "module", allowHashBang: true }) as Node;
    } catch {
      throw new Error(`bench ram: the bundle does not parse (${(script as Error).message}): no breakdown`);
    }
  }
}

/** One top-level piece of the firmware: a declarator, a statement, or one expression of a statement's comma list. */
interface Piece { start: number; end: number; nameAt: number }

interface Edit { at: number; to: number; text: string }

/** Source positions -> the module and main.ts step they come from. */
class Namer {
  private readonly segs: Array<{ off: number; src: number; line: number; col: number }> = [];
  private readonly sources: string[];
  private readonly contents: Array<string | null>;
  private readonly mainAst = new Map<number, ts.SourceFile>();

  constructor(code: string, map: object) {
    const tm = new TraceMap(map as ConstructorParameters<typeof TraceMap>[0]);
    this.sources = tm.sources.map((s) => normaliseSourcePath(s ?? ""));
    this.contents = (tm.sourcesContent ?? []).slice();
    const lineStart = [0];
    for (let i = code.indexOf("\n"); i >= 0; i = code.indexOf("\n", i + 1)) lineStart.push(i + 1);
    decodedMappings(tm).forEach((line, li) => {
      for (const s of line) if (s.length >= 4) this.segs.push({ off: lineStart[li]! + s[0], src: s[1]!, line: s[2]!, col: s[3]! });
    });
    this.segs.sort((a, b) => a.off - b.off);
  }

  /** The mapped segments starting in [start, end). */
  private within(start: number, end: number) {
    let lo = 0;
    let hi = this.segs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.segs[mid]!.off < start) lo = mid + 1;
      else hi = mid;
    }
    const out = [];
    for (let i = lo; i < this.segs.length && this.segs[i]!.off < end; i++) out.push(this.segs[i]!);
    return out;
  }

  name(p: Piece): string {
    const segs = this.within(p.start, p.end);
    const isMain = (s: { src: number }) => /(^|\/)src\/main\.ts$/.test(this.sources[s.src]!);
    // Terser inlines functions called once: `const tb = createLink(…)` becomes an arrow IIFE whose
    // code maps to link.ts while its name and arguments map to main.ts. Any main.ts position makes
    // the piece a start-up step of main.ts.
    // The declarator's own name says which step it is (`tb` of `const tb = createLink(…)`); otherwise
    // the earliest main.ts position (code inlined from elsewhere also maps to the main.ts lines that
    // call or define it).
    const main = segs.filter(isMain);
    if (main.length) {
      const own = this.within(p.nameAt, p.end)[0];
      const first = own && isMain(own) ? own : main.reduce((a, b) => (b.line < a.line || (b.line == a.line && b.col < a.col) ? b : a));
      return "main.ts: " + this.mainStep(first.src, first.line, first.col);
    }
    const at = this.within(p.nameAt, p.end)[0] ?? segs[0];
    return at ? this.sources[at.src]! : "(config and unmapped)";
  }

  /** The first function the top-level statement of main.ts at (line, col) calls, outside nested functions. */
  private mainStep(src: number, line: number, col: number): string {
    const text = this.contents[src];
    if (!text) return `line ${line + 1}`;
    let sf = this.mainAst.get(src);
    if (!sf) this.mainAst.set(src, (sf = ts.createSourceFile("main.ts", text, ts.ScriptTarget.ES2022, true)));
    const pos = sf.getPositionOfLineAndCharacter(line, col);
    const st = sf.statements.find((s) => s.getStart(sf) <= pos && pos < s.end);
    if (!st) return `line ${line + 1}`;
    // A declaration list: the declarator at pos, else the statement.
    let scope: ts.Node = st;
    if (ts.isVariableStatement(st)) scope = st.declarationList.declarations.find((d) => d.getStart(sf) <= pos && pos < d.end) ?? st;
    let call: ts.CallExpression | undefined;
    const visit = (n: ts.Node): void => {
      if (call || ts.isFunctionLike(n) || ts.isClassLike(n)) return;
      if (ts.isCallExpression(n)) {
        // The callee runs first: a call inside it (a().b()) comes before this one.
        visit(n.expression);
        call ??= n;
        return;
      }
      ts.forEachChild(n, visit);
    };
    visit(scope);
    if (call) {
      const callee = call.expression.getText(sf).replace(/\s+/g, "");
      return (callee.length > 40 ? callee.slice(0, 37) + "..." : callee) + "(...)";
    }
    return "constants";
  }
}

/** The bundle with a probe after each top-level piece, and each part's name. Throws when the bundle
 *  is not the shape rollup's "iife" format makes. */
export function instrumentBundle(code: string, map: object): InstrumentedBundle {
  const body = topLevel(parseBundle(code));
  const namer = new Namer(code, map);
  const edits: Edit[] = [];
  const parts: string[] = [];
  let next = 0;
  const probe = () => `${PROBE_FN}(${next++});`;
  // The start and the calibration probes, before the first statement.
  edits.push({ at: body.at, to: body.at, text: Array.from({ length: CALIBRATION_PROBES }, probe).join("") });
  for (const st of body.statements) {
    if (st.type === "ReturnStatement" || /^(Import|Export)/.test(st.type)) break;
    if (st.type === "VariableDeclaration") {
      const ds = st.declarations as Node[];
      ds.forEach((d, i) => {
        parts.push(namer.name({ start: d.start, end: d.end, nameAt: d.start }));
        if (i < ds.length - 1) {
          // `,` between declarators -> `;probe;let `
          edits.push({ at: d.end, to: ds[i + 1]!.start, text: `;${probe()}${st.kind} ` });
          if (!/^\s*,\s*$/.test(code.slice(d.end, ds[i + 1]!.start))) throw new Error(`bench ram: unexpected text between declarators at ${d.end}`);
        }
      });
      edits.push({ at: st.end, to: st.end, text: `;${probe()}` });
      continue;
    }
    const list = st.type === "ExpressionStatement" && st.expression.type === "SequenceExpression" ? (st.expression.expressions as Node[]) : [st];
    list.forEach((e, i) => {
      parts.push(namer.name({ start: e.start, end: e.end, nameAt: e.start }));
      const following = list[i + 1];
      if (!following) return;
      // Split the comma list only where a plain comma separates two expressions that can start a
      // statement; otherwise the rest stays one part with this one.
      const between = code.slice(e.end, following.start);
      const starts = code.slice(following.start, following.start + 9);
      if (/^\s*,\s*$/.test(between) && !/^(function\b|class\b|let\s*\[|\{)/.test(starts)) {
        edits.push({ at: e.end, to: following.start, text: `;${probe()}` });
      } else {
        parts.pop();
        list[i + 1] = { ...following, start: e.start } as Node;
      }
    });
    edits.push({ at: st.end, to: st.end, text: `;${probe()}` });
  }
  // Numbered in code order as generated; applied from the end so that earlier positions hold.
  edits.sort((a, b) => b.at - a.at);
  let out = code;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.to);
  return { code: out, parts, probes: next, wrapped: body.wrapped };
}

export interface PartRow { label: string; jsvars: number }

export interface Breakdown {
  /** Per part, in order of first appearance, parts with the same name summed. */
  rows: PartRow[];
  /** JsVars the probe itself keeps between two calls (subtracted from every part). */
  probeCost: number;
  /** Before the first statement: loading the code, and an "iife" bundle's function and its scope. */
  wrapper: number;
  /** The label of `wrapper`'s row. */
  wrapperLabel: string;
  /** From the last probe to the booted sample: timers and callbacks the start-up left pending. */
  afterStart: number;
  /** Sum of everything above: the booted sample minus the base, probes' own cost removed. */
  total: number;
}

/** The rows from the probe values (by probe number), the base (usage before .bootcde ran) and the
 *  booted sample of the same run. */
export function breakdown(ib: InstrumentedBundle, values: Map<number, number>, base: number, booted: number): Breakdown {
  const v = (k: number) => {
    const x = values.get(k);
    if (x === undefined) throw new Error(`bench ram: probe ${k} of ${ib.probes} never printed: the instrumented firmware stopped during start-up`);
    return x;
  };
  const costs = [];
  for (let k = 1; k < CALIBRATION_PROBES; k++) costs.push(v(k) - v(k - 1));
  costs.sort((a, b) => a - b);
  const probeCost = costs[costs.length >> 1]!;
  const sums = new Map<string, number>();
  ib.parts.forEach((label, i) => {
    const k = CALIBRATION_PROBES + i;
    sums.set(label, (sums.get(label) ?? 0) + v(k) - v(k - 1) - probeCost);
  });
  const rows = [...sums].map(([label, jsvars]) => ({ label, jsvars }));
  const wrapper = v(0) - base;
  const last = v(ib.probes - 1);
  const afterStart = booted - last;
  // The probes' own cost stays in every later figure: take it out once per probe.
  const total = booted - base - probeCost * (ib.probes - 1);
  const wrapperLabel = ib.wrapped ? "bundle wrapper (the IIFE and its scope)" : "loading the bundle, before its first statement";
  return { rows, probeCost, wrapper, wrapperLabel, afterStart, total };
}
