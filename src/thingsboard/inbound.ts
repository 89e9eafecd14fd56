// What ThingsBoard sends (RPC requests, shared attribute updates, attribute responses), checked
// for Espruino's JSON.parse, not V8's (docs/espruino.md §1.5). It accepts single quotes, trailing commas,
// comments and trailing text, and keeps the first of two duplicate keys; those are harmless once
// the result is checked. What is not: integers of 2^63 and more wrap ("18446744073709556616" parses
// as 5000, a valid interval), so a run of 16 digits where a number can start (after ":", "[", ",", a
// space or "-") is refused; inside a string (a checksum, a serial) it follows a quote or a letter and
// passes. And a "__proto__" key sets the prototype of the new object (or fails
// an assertion when its value is no object), also when spelled with \u or \x escapes. So the text
// is bounded and screened before parsing, and only an object comes out.

import { MAX_INBOUND_BYTES } from "../constants";

export type Obj = { [key: string]: unknown };

/** A JSON object, not an array: reading a field of a number, string or boolean throws on Espruino.
 *  (null and every primitive are no instance of Object.) */
export function isObj(v: unknown): v is Obj {
  return v instanceof Object && !(v instanceof Array);
}

/** `o[k]` when it is o's own key, else undefined. */
export function own(o: Obj, k: string): unknown {
  return Object.keys(o).indexOf(k) < 0 ? undefined : o[k];
}

/** The object `text` holds; else throws what is wrong with it ("is not JSON"), to follow
 *  "request " etc. */
export function inbound(text: string): Obj {
  // Keys that reach a prototype; escapes other than \" \\ \/ \b \f \n \r \t (they could spell
  // one); integers of 16 digits or more (past 2^53; sixteen \d, as Espruino's regexes have no {n};
  // a long fraction follows its "." and passes). `v` is first the match, then the parsed value.
  let v: unknown = text.match(/__proto__|["']constructor["']|["']prototype["']|\\[^"\\\/bfnrt]|[-:\[,\s]\d\d\d\d\d\d\d\d\d\d\d\d\d\d\d\d/);
  if (text.length > MAX_INBOUND_BYTES) throw "is over " + MAX_INBOUND_BYTES + " bytes";
  if (v) throw "refused at " + (v as string[])[0];
  try {
    // JSON.parse itself, not an alias: one call site.
    v = JSON.parse(text);
  } catch (e) {
    throw "is not JSON";
  }
  if (!isObj(v)) throw "is not an object";
  return v;
}
