// Espruino's Linux build (`espruino-linux-x64 --telnet`, reached as tcp://127.0.0.1:2323) as a
// development target: it answers process.env.BOARD "LINUX" and lacks what an ESP32 build has built
// in (docs/espruino.md §2.5). Next to the bundle, flash writes into its Storage
// the project's Wifi stand-in (tools/vboard/espruino/wifi.js, unchanged), an access point for it that
// any SSID and password join at once (.vbap), and the ESP32/LED1 globals (.boot0), so .bootcde runs
// there after load() or a restart as it does on a board.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fail } from "../common/index.ts";

/** process.env.BOARD of the Linux build. */
export const LINUX_BOARD = "LINUX";

const WIFI_STAND_IN = join(import.meta.dirname, "..", "vboard", "espruino", "wifi.js");

/** The stand-in's access point: present, no SSID or password of its own (so any joins), 50 ms, no SNTP answer. */
export const LINUX_AP = { present: true, joinMs: 50, ip: "127.0.0.1", netmask: "255.0.0.0", gw: "127.0.0.1",
  bssid: "02:00:00:00:00:01", mac: "02:00:00:00:00:02", timeServer: false };

export const LINUX_BOOT0 = "global.LED1=D2; global.ESP32={getState:function(){return {};},reboot:function(){E.reboot();},deepSleep:function(){}};";

/** The one warning line flash prints when the board is the Linux build. */
export function linuxWarning(port: string): string {
  return `W flash: ${port} runs Espruino's Linux build (BOARD ${LINUX_BOARD}), a development target, not a board: ` +
    "no radio, and TLS takes its buffers from JsVars instead of the native heap; " +
    "also writing a Wifi stand-in (any SSID joins at once) and the ESP32/LED1 globals (.boot0) into Storage";
}

/** Storage name -> content of what the Linux build needs besides .bootcde, in upload order. */
export function linuxStorageFiles(): Record<string, string> {
  let wifi;
  try {
    wifi = readFileSync(WIFI_STAND_IN, "latin1");
  } catch (e) {
    throw fail("flash", `cannot read the Wifi stand-in ${WIFI_STAND_IN} (${(e as NodeJS.ErrnoException).code ?? e})`,
      "restore tools/vboard/espruino/wifi.js from git");
  }
  return { Wifi: wifi, ".vbap": JSON.stringify(LINUX_AP), ".boot0": LINUX_BOOT0 };
}

/**
 * Writes `files` into a fresh temp folder for the CLI's `--storage name:path`, which splits at every
 * colon, so the path must have none. `remove` deletes the folder.
 */
export function stageStorageFiles(files: Record<string, string>): { paths: Record<string, string>; remove(): void } {
  if (Object.keys(files).length === 0) return { paths: {}, remove: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), "tb-flash-storage-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  if (dir.includes(":")) {
    remove();
    throw fail("flash", `the temp folder ${dir} has a colon, which the espruino CLI's --storage name:file cannot take`,
      "set TMPDIR to a folder without one (e.g. TMPDIR=/tmp)");
  }
  const paths: Record<string, string> = {};
  let i = 0;
  for (const [name, data] of Object.entries(files)) {
    const p = join(dir, `file${i++}`);
    writeFileSync(p, data, "latin1");
    paths[name] = p;
  }
  return { paths, remove };
}
