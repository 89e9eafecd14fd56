// Firmware updates over ThingsBoard's OTA (docs/thingsboard.md §6), in the formats of docs/ota.md:
// the shared attributes fw_* offer a package; it is downloaded chunk by chunk straight into a Storage
// file (never whole in RAM), checked (size, SHA-256 checksum, the board and version it names, and an
// HMAC-SHA-256 under the device's own key, which the server never sees); then the board reboots and a
// guard in `.boot1` puts it in place of the running bundle, keeping the old one, which it brings back
// when the new one does not connect in time. The bundle that runs next reports the result.
// Progress goes to the server as fw_state telemetry. Built into the bundle only with "ota": true.
// One update at a time per program: its state is this module's.

import { KEY_FILE } from "../constants";
import { ERROR, INFO, log, toJson, uptimeMs } from "../log";
import type { Client } from "../mqtt/index";
import { schedule } from "../timer";
import type { Timer } from "../timer";
import { own } from "./inbound";
import type { Obj } from "./inbound";
import { TELEMETRY } from "./topics";

/** Shared attributes that describe the assigned package. */
export const FW_KEYS = "fw_title,fw_version,fw_size,fw_checksum,fw_checksum_algorithm";
const CHUNK = 1024;
const CHUNK_WAIT_MS = 20000;
const CHUNK_TRIES = 5;
const RESPONSES = "v2/fw/response/+/chunk/+";
// Storage files (docs/ota.md §1).
const DOWNLOAD = ".tbfw";
const PREVIOUS = ".tbprev";
const STATE = ".tbota";
const GUARD = ".boot1";
const BUNDLE = ".bootcde";
/** Boots and seconds a new bundle has to reach ThingsBoard before the guard rolls it back. */
const TRIAL_BOOTS = 3;
const TRIAL_S = 120;


export interface OtaSettings {
  /** This bundle's title and version, as reported in current_fw_title/current_fw_version. */
  title: string;
  version: string;
  /** The chip key a package must name. */
  board: string;
  /** The largest bundle the board takes (board/<chip>.json bundleBudgetBytes). */
  budget: number;
}

/** @json What the server is told (fw_state telemetry). */
interface FwReport {
  current_fw_title: string;
  current_fw_version: string;
  fw_state: string;
  fw_title?: string;
  fw_version?: string;
  fw_error?: string;
}

/** @json `.tbota` (docs/ota.md §3). */
interface OtaState {
  trial?: string;
  version?: string;
  from?: string;
  boots?: number;
  /** Set until the guard has put the download in place: the bundle is `size` bytes from `at` in `.tbfw`. */
  install?: number;
  at?: number;
  size?: number;
  /** Why the guard rolls back at the next boot. */
  back?: string;
  result?: string;
  error?: string;
  failed?: string;
}

let client: Client;
let self: OtaSettings;
/** 64 lowercase hex characters (Espruino's regexes have no {64}: docs/espruino.md §1.4). */
function isSha256Hex(s: string): boolean {
  return s.length == 64 && !/[^0-9a-f]/.test(s);
}

interface Package {
  title: string;
  version: string;
  size: number;
  /** SHA-256 of the whole package, lowercase hex. */
  checksum: string;
}

/** The package being downloaded. */
let want: Package | undefined;
let chunk: number;
let tries: number;
let request = 0;
const wait: Timer = { clock: uptimeMs };
const Storage = () => require("Storage");

/** fw_state `state` of the update to `version` (titled `title`), with `error` when FAILED. */
function report(state: string, title?: string, version?: string, error?: string): void {
  const r: FwReport = { current_fw_title: self.title, current_fw_version: self.version, fw_state: state };
  if (version) {
    r.fw_title = title;
    r.fw_version = version;
  }
  if (error) r.fw_error = error;
  client.publish(TELEMETRY, toJson(r), 1);
}

/** Gives up on the update: FAILED with `why`, and nothing on the board changes. */
function fail(why: string): void {
  schedule(wait);
  log(ERROR, "ota: update " + (want ? want.version + " " : "") + "refused: " + why);
  if (want) report("FAILED", want.title, want.version, why);
  // The same version, still assigned on the server, is not tried again until another is.
  if (want) Storage().writeJSON(STATE, <OtaState>{ failed: want.version });
  want = undefined;
  Storage().erase(DOWNLOAD);
}

/** Asks for the chunk the download is at; while disconnected it waits for firmwareConnected(), so
 *  that an outage of any length is not counted as unanswered requests. */
function ask(): void {
  if (!want || !client.connected()) return;
  if (tries++ >= CHUNK_TRIES) return fail("chunk " + chunk + " not answered after " + CHUNK_TRIES + " requests");
  schedule(wait, ask, CHUNK_WAIT_MS);
  client.publish("v2/fw/request/" + ++request + "/chunk/" + chunk, "" + CHUNK);
}

/** Checks the downloaded package and installs it. Its helpers are made here, so that they take RAM
 *  only while an update is checked (a function kept alive costs the board several JsVars). */
function install(): void {
  /** Hex of a digest (an ArrayBuffer from crypto). */
  const hex = (digest: ArrayBuffer) => {
    let h = "";
    new Uint8Array(digest).forEach((b) => (h += (b < 16 ? "0" : "") + b.toString(16)));
    return h;
  };
  const sha256 = (data: string) => hex(require("crypto").SHA256(data));
  /** HMAC-SHA-256 (RFC 2104) of `text` under the 32-byte key given as 64 hex characters. */
  const hmac = (keyHex: string, text: string) => {
    let inner = "";
    let outer = "";
    for (let i = 0; i < 64; i++) {
      const k = i < 32 ? parseInt(keyHex.substr(2 * i, 2), 16) : 0;
      inner += String.fromCharCode(k ^ 0x36);
      outer += String.fromCharCode(k ^ 0x5c);
    }
    return sha256(outer + E.toString(require("crypto").SHA256(inner + text)));
  };
  const w = want!;
  const S = Storage();
  const head = S.read(DOWNLOAD, 0, Math.min(256, w.size)) as string;
  const eol = head.indexOf("\n");
  const line = head.substr(0, eol);
  const field = line.split(" ");
  const signed = line.substr(0, line.indexOf(" hmac="));
  const key = S.read(KEY_FILE) as string | undefined;
  const size = w.size - eol - 1;
  report("DOWNLOADED", w.title, w.version);
  if (sha256(S.read(DOWNLOAD)!) != w.checksum) return fail("checksum mismatch: the download is damaged, or fw_checksum is not the package's SHA-256");
  if (field[1] != "tb-espruino-ota" || field.length != 6) return fail("not a package made by npm run ota");
  if (field[2] != "board=" + self.board) return fail("the package is for " + field[2] + ", this is board=" + self.board);
  if (field[4] != "version=" + w.version) return fail("the package says " + field[4] + " but ThingsBoard offers " + w.version + ": upload it with npm run ota");
  if (!key || !isSha256Hex(key.substr(0, 64))) return fail("no update key on the board: flash it once with npm run flash and \"ota\": true");
  if (hmac(key, signed + "\n" + sha256(S.read(DOWNLOAD, eol + 1, size)!)) != field[5].substr(5)) {
    return fail("signature does not match this board's key: sign with npm run ota and this device's config");
  }
  report("VERIFIED", w.title, w.version);
  report("UPDATING", w.title, w.version);
  log(INFO, "ota: installing " + w.version + " in place of " + self.version);
  /*
   * The guard, `.boot1`: it runs before `.bootcde` at every boot while the update is on trial (its
   * text is made here, so that it is in RAM only now). Storage files are swapped only by the guard,
   * before the bundle starts: code from Storage runs where it lies, and the real interpreter loses a running bundle's functions
   * ("Function code is null") the moment its file is written again (measured, docs/espruino.md §3.5).
   * At the first boot it keeps the running bundle as `.tbprev` and puts the download's bundle in its
   * place; a bundle that has not reached ThingsBoard after TRIAL_BOOTS boots, or TRIAL_S seconds into a
   * boot, is replaced by `.tbprev` again, and the result is left in `.tbota` for it to report. Seconds
   * are counted by a chain of 1 s timeouts: when SNTP steps the clock every pending timer fires at once
   * and an interval runs back to back until it has caught up (docs/espruino.md §3.2), either of which
   * would roll a good update back if it were one long wait or an interval. It reboots from a timeout of
   * its own: E.reboot() inside a block of a running function trips an assertion of the Linux build
   * (execInfo.blockCount, measured). It never erases itself (its own rest would be gone as it runs); once
   * `.tbota` holds no trial it does nothing, and the bundle erases it once connected. A `.bootcde` of
   * another size than it installed was flashed over USB meanwhile: the trial ends there, nothing is
   * rolled back over it. Plain ES5, stored and run as it is.
   */
  S.writeJSON(STATE, <OtaState>{ trial: w.title, version: w.version, from: self.version, boots: 0, install: 1, at: eol + 1, size: size });
  // Its text spells the files and limits above (.tbota STATE, .tbprev PREVIOUS, .tbfw DOWNLOAD, 1024
  // CHUNK, 3 TRIAL_BOOTS, 120 TRIAL_S): one literal, so that it is one string in RAM while written.
  S.write(GUARD, "(function(){var S=require('Storage'),o=S.readJSON('.tbota',1),n=0;if(!o||!o.trial)return;" +
    "var cp=function(f,t,a,l){for(var i=0;i<l;i+=1024)S.write(t,S.read(f,a+i,Math.min(1024,l-i)),i,l);" +
    "};if(o.install){cp('.bootcde','.tbprev',0,S.read('.bootcde').length);cp('.tbfw','.bootcde',o.at,o.size);" +
    "S.erase('.tbfw');o.install=0;}if(S.read('.bootcde').length!=o.size){S.erase('.tbota');return;}" +
    "if(o.back||++o.boots>3){cp('.tbprev','.bootcde',0,S.read('.tbprev').length);" +
    "S.writeJSON('.tbota',{result:'FAILED',version:o.version,error:'rolled back: '+(o.back||'it did not reach ThingsBoard in 3 boots'),failed:o.version});" +
    "return;}S.writeJSON('.tbota',o);var t=function(){if(++n>120){o.back='it did not reach ThingsBoard within 120 s';" +
    "S.writeJSON('.tbota',o);setTimeout(E.reboot,100);}else global.tbGuard=setTimeout(t,1000);" +
    "};global.tbGuard=setTimeout(t,1000);})();\n");
  // The reports get a moment to leave before the reboot.
  setTimeout(E.reboot, 1500);
}

function onChunk(topic: string, data: string): void {
  const level = topic.split("/");
  const n = +level[5];
  let expect: number;
  // Only the answer to the latest request: a late one to an earlier request (asked again, or of a
  // download another offer replaced) could carry other bytes.
  if (!want || n != chunk || +level[3] != request) return;
  expect = Math.min(CHUNK, want.size - n * CHUNK);
  if (data.length != expect) return fail("chunk " + n + " has " + data.length + " bytes, expected " + expect + ": is fw_size the package's size?");
  Storage().write(DOWNLOAD, data, n * CHUNK, want.size);
  tries = 0;
  chunk++;
  if (chunk * CHUNK < want.size) return ask();
  schedule(wait);
  install();
}

/** The shared attributes `a` (pushed, or the answer to the request at connect): starts a download
 *  when they offer a version other than this one. */
export function offerFirmware(a: Obj): void {
  const title = own(a, "fw_title");
  const version = own(a, "fw_version");
  const size = own(a, "fw_size");
  const checksum = own(a, "fw_checksum");
  const algorithm = own(a, "fw_checksum_algorithm");
  let state: OtaState | undefined;
  // Most shared attribute messages offer no firmware: Storage is read only for those that do.
  if (version === undefined || version == self.version || (want && want.version == version)) return;
  state = Storage().readJSON(STATE, true);
  if (state && state.failed == version) return log(INFO, "ota: not trying " + version + " again: it failed before");
  want = <Package>{ title: "" + title, version: "" + version, size: size as number, checksum: ("" + checksum).toLowerCase() };
  if (typeof title != "string" || typeof version != "string") return fail("fw_title and fw_version must be strings");
  if (typeof size != "number" || size % 1 || size < 1 || size > self.budget + 256) {
    return fail("fw_size " + size + " is over the board's budget of " + self.budget + " bytes or not a size");
  }
  if (algorithm !== undefined && algorithm != "SHA256") return fail("checksum algorithm " + algorithm + ": upload the package with SHA256");
  if (!isSha256Hex(want.checksum)) return fail("fw_checksum is not a SHA-256");
  if (Storage().getFree() < 3 * size + 4096) return fail("Storage has " + Storage().getFree() + " bytes free: flash the board again to tidy it");
  log(INFO, "ota: downloading " + title + " " + version + " (" + size + " bytes)");
  chunk = tries = 0;
  Storage().erase(DOWNLOAD);
  report("DOWNLOADING", want.title, want.version);
  ask();
}

/** After every CONNACK: confirms a bundle on trial, reports what the last update came to, and goes
 *  on with a download the connection cut. */
export function firmwareConnected(): void {
  const S = Storage();
  let state = S.readJSON(STATE, true) as OtaState | undefined;
  const guard: number | undefined = global.tbGuard;
  if (state && state.trial && state.version == self.version) {
    if (guard) clearTimeout(guard);
    S.erase(PREVIOUS);
    state.result = "UPDATED";
    state.trial = "";
  } else if (state && state.trial) {
    // Another bundle than the one on trial (flashed over USB meanwhile): no rollback over it.
    if (guard) clearTimeout(guard);
    log(INFO, "ota: update to " + state.version + " replaced by " + self.version + ": no rollback");
    S.erase(STATE);
    state = undefined;
  }
  if (!(state && state.trial)) S.erase(GUARD);
  if (state && state.result) {
    log(state.error ? ERROR : INFO, "ota: update to " + state.version + ": " + state.result + (state.error ? " (" + state.error + ")" : ""));
    report(state.result, state.trial || self.title, state.version, state.error);
    if (state.failed) S.writeJSON(STATE, <OtaState>{ failed: state.failed });
    else S.erase(STATE);
  }
  if (want) {
    tries = 0;
    ask();
  }
}

/** Starts taking updates through `client`; a download a reboot cut short is dropped (it starts over). */
export function startOta(c: Client, settings: OtaSettings): void {
  client = c;
  self = settings;
  Storage().erase(DOWNLOAD);
  client.subscribe(RESPONSES, 1, onChunk);
}
