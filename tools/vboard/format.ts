// Value formatting and byte-string helpers of the Espruino runtime (console.log, E.toString, atob, btoa).

/** console.log/print: strings as they are, other values roughly as Espruino prints them. */
export function formatArgs(args: unknown[]): string {
  return args.map((a) => (typeof a === "string" ? a : formatValue(a, 0))).join(" ");
}

function formatValue(v: unknown, depth: number): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "function") return `function ${v.name || ""}() {…}`;
  if (typeof v !== "object") return String(v);
  if (depth > 4) return "…";
  if (typeof (v as { message?: unknown }).message === "string" && typeof (v as object).toString === "function" &&
      (v as object).toString !== Object.prototype.toString) {
    return String(v);
  }
  if (Array.isArray(v)) return v.length ? `[ ${v.map((x) => formatValue(x, depth + 1)).join(", ")} ]` : "[  ]";
  if (ArrayBuffer.isView(v)) return `new ${v.constructor.name}([${Array.from(v as unknown as ArrayLike<number>).join(", ")}])`;
  const keys = Object.keys(v as object);
  if (!keys.length) return "{  }";
  return `{ ${keys.map((k) => `${JSON.stringify(k)}: ${formatValue((v as Record<string, unknown>)[k], depth + 1)}`).join(", ")} }`;
}

/** E.toString: numbers are bytes, strings are copied, arrays and typed arrays are byte lists,
 *  {data, count} repeats data. */
export function eToString(args: unknown[]): string {
  let out = "";
  const add = (v: unknown): void => {
    if (typeof v === "number") out += String.fromCharCode(v & 255);
    else if (typeof v === "string") out += v;
    else if (Object.prototype.toString.call(v) === "[object ArrayBuffer]") add(new Uint8Array(v as ArrayBuffer));
    else if (ArrayBuffer.isView(v)) {
      const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      for (let i = 0; i < b.length; i++) out += String.fromCharCode(b[i]);
    } else if (Array.isArray(v)) v.forEach(add);
    else if (v && typeof v === "object" && "data" in v) {
      const n = Number((v as { count?: unknown }).count ?? 1);
      for (let i = 0; i < n; i++) add((v as { data: unknown }).data);
    }
  };
  args.forEach(add);
  return out;
}

/** btoa of an 8-bit string. */
export function btoa8(s: unknown): string {
  return Buffer.from(String(s), "latin1").toString("base64");
}

/** atob to an 8-bit string. */
export function atob8(s: unknown): string {
  return Buffer.from(String(s), "base64").toString("latin1");
}
