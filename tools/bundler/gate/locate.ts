// Bundle positions -> src/ positions through the bundle's source map (rollup/terser, v3), and the
// placeholders rules leave in messages (ast.ts atMarker/nameMarker) -> readable text.
import { TraceMap, originalPositionFor, traceSegment } from "@jridgewell/trace-mapping";

export interface OriginalPosition {
  file: string;
  line: number; // 1-based
  column: number; // 0-based
}

const MARKER = /\u27e6(at|name):(\d+):(\d+)(?::([^\u27e7]*))?\u27e7/g;

/** `../src/wifi.ts` (relative to dist/) or `webpack:///src/x.ts` -> `src/wifi.ts`. */
export function normaliseSourcePath(file: string): string {
  return file
    .replace(/\\/g, "/")
    .replace(/^[a-z][a-z0-9+.-]*:\/\/\/?/i, "")
    .replace(/^(\.\.?\/)+/, "");
}

function parseMap(sourceMap: string | object): TraceMap {
  let raw: unknown = sourceMap;
  if (typeof sourceMap === "string") {
    try {
      raw = JSON.parse(sourceMap);
    } catch (e) {
      throw new Error(
        `gate: sourceMap is not valid JSON (${(e as Error).message}): pass the .map text rollup wrote, or leave sourceMap out`,
      );
    }
  }
  const m = raw as { version?: unknown; mappings?: unknown; sources?: unknown } | null;
  if (typeof m !== "object" || m === null || m.version !== 3 || typeof m.mappings !== "string" || !Array.isArray(m.sources)) {
    throw new Error(
      "gate: sourceMap is not a version 3 source map (needs version: 3, sources[] and mappings): pass the .map rollup wrote, or leave sourceMap out",
    );
  }
  return new TraceMap(m as ConstructorParameters<typeof TraceMap>[0]);
}

export class BundleLocator {
  private readonly map: TraceMap | null;

  constructor(sourceMap?: string | object) {
    this.map = sourceMap === undefined ? null : parseMap(sourceMap);
  }

  original(line: number, column: number): OriginalPosition | undefined {
    if (!this.map) return undefined;
    const pos = originalPositionFor(this.map, { line, column });
    if (pos.source === null || pos.line === null || pos.column === null) return undefined;
    return { file: normaliseSourcePath(pos.source), line: pos.line, column: pos.column };
  }

  /** `src/wifi.ts:12:5` or, without a mapping, `bundle:1:2345` (columns 1-based, as editors count). */
  describe(line: number, column: number): string {
    const o = this.original(line, column);
    return o ? `${o.file}:${o.line}:${o.column + 1}` : `bundle:${line}:${column + 1}`;
  }

  /** The unminified name of the identifier at this bundle position, if the map records one there. */
  name(line: number, column: number, fallback: string): string {
    if (!this.map) return fallback;
    const seg = traceSegment(this.map, line - 1, column);
    if (!seg || seg[0] !== column || seg.length !== 5) return fallback;
    return this.map.names[seg[4]] ?? fallback;
  }

  resolveMarkers(message: string): string {
    return message.replace(MARKER, (_m, kind: string, line: string, column: string, fallback?: string) =>
      kind === "at" ? this.describe(+line, +column) : this.name(+line, +column, fallback ?? "?"),
    );
  }
}
