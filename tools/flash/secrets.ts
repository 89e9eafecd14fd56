// The board's secret Storage files (docs/ota.md §1): the update key `.tbkey`, written from the key file
// beside the config, and the provisioned token `.tbtoken`, erased by --forget-token. Both go over the
// console with echo off (ask.ts) before the upload, whose load() then clears the REPL's memory; the key
// is never in a file on this computer but its own, nor in a message: a failure here quotes nothing the
// board sent, since an interpreter error line would show the expression, key included.
import { fail, KEY_FILE, TOKEN_FILE } from "../common/index.ts";
import type { ConsoleLink } from "../serial/link.ts";
import { ask } from "./ask.ts";

export { KEY_FILE, TOKEN_FILE };

/** 1: erased, 2: there was none, 0: still there. */
const FORGET = `(function(S){var had=S.read(${JSON.stringify(TOKEN_FILE)})!==undefined;S.erase(${JSON.stringify(TOKEN_FILE)});` +
  `return S.read(${JSON.stringify(TOKEN_FILE)})!==undefined?0:had?1:2})(require("Storage"))`;

/** 1 when the key reads back as written. */
const writeKey = (hex: string) =>
  `(function(S,k){S.write(${JSON.stringify(KEY_FILE)},k);return S.read(${JSON.stringify(KEY_FILE)})===k?1:0})(require("Storage"),${JSON.stringify(hex)})`;

/** The length of `.tbkey` as the board stores it (-1: none), to check after the upload without sending the key again. */
export const KEY_LENGTH = `(function(s){return s===undefined?-1:s.length})(require("Storage").read(${JSON.stringify(KEY_FILE)}))`;

export interface SecretsDone {
  /** Whether a token was there to erase (only when asked to forget it). */
  hadToken?: boolean;
}

/** Erases `.tbtoken` (forget) and writes `.tbkey` (keyHex: 64 lowercase hex) on the board; throws one E line when it does not confirm. */
export async function writeSecrets(link: ConsoleLink, port: string, o: { forget: boolean; keyHex?: string }): Promise<SecretsDone> {
  const exprs = [...(o.forget ? [FORGET] : []), ...(o.keyHex ? [writeKey(o.keyHex)] : [])];
  if (!exprs.length) return {};
  const what = [...(o.forget ? [`erase ${TOKEN_FILE}`] : []), ...(o.keyHex ? [`write ${KEY_FILE}`] : [])].join(" and ");
  const a = await ask(link, exprs);
  if (!a.words || a.words.length !== exprs.length) {
    throw fail("flash", `the board on ${port} did not confirm that it could ${what}`, "press reset and run npm run flash again");
  }
  const [forgot, wrote] = o.forget ? [a.words[0], a.words[1]] : [undefined, a.words[0]];
  if (o.forget && forgot !== "1" && forgot !== "2") {
    throw fail("flash", `the board on ${port} still holds ${TOKEN_FILE} after erasing it`, "press reset and run npm run flash again");
  }
  if (o.keyHex && wrote !== "1") {
    throw fail("flash", `the board on ${port} does not read back ${KEY_FILE} as written (its Storage may be full)`,
      "run npm run flash again; if it persists, free Storage from the REPL (require(\"Storage\").list())");
  }
  return o.forget ? { hadToken: forgot === "1" } : {};
}
