// README "Board support" against board/<chip>.json: the firmware's log lines send people to that
// section, so its table must give the very figures the firmware, the flash tool and the virtual board
// use (device.variants, device.tls). A figure changed in one place and not the other fails here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { BOARDS, ROOT, loadBoard } from "../tools/common/board.ts";

const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The text from "## Board support" to the next level-2 heading. */
function section(md: string, heading: string): string {
  const start = md.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README.md has no "${heading}" heading`);
  const end = md.indexOf("\n## ", start + heading.length + 1);
  return md.slice(start, end < 0 ? undefined : end);
}

const cells = (line: string) => line.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());

/** The section's first table: its header cells and its rows, as cells. */
function firstTable(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.startsWith("|"));
  assert.ok(at >= 0, "the Board support section has no table");
  const body: string[] = [];
  for (let i = at; i < lines.length && lines[i]!.startsWith("|"); i++) body.push(lines[i]!);
  assert.match(body[1] ?? "", /^\|(\s*-+\s*\|)+$/, "the table's second line is its separator");
  return { header: cells(body[0]!), rows: body.slice(2).map(cells) };
}

/** As the README writes figures: 16,383. */
const fmt = (n: number) => n.toLocaleString("en-US");
/** `n` in `text` as a whole number, not part of a longer one. */
const hasNumber = (text: string, n: number) => new RegExp(`(?<![\\d.]|\\d,)${fmt(n)}(?!\\d|[,.]\\d)`).test(text);

const BOARD_SUPPORT = section(README, "## Board support");
const TABLE = firstTable(BOARD_SUPPORT);

function column(pattern: RegExp): number {
  const i = TABLE.header.findIndex((h) => pattern.test(h));
  assert.ok(i >= 0, `the Board support table has no column matching ${pattern} (header: ${TABLE.header.join(" | ")})`);
  return i;
}
const COL = {
  variant: column(/^variant\b/),
  jsVars: column(/^JsVars$/),
  heap: column(/^native heap after Wi-Fi/),
  need: column(/^one TLS connection needs/),
  tls: column(/^TLS$/),
};
/** The variant id a row names, in backticks. */
const rowId = (row: string[]) => /`([^`]+)`/.exec(row[COL.variant] ?? "")?.[1];

describe("README Board support matches board/*.json", () => {
  test("the sections the firmware's log lines and the config warning point to exist", () => {
    assert.match(README, /^## Board support$/m);
    assert.match(README, /^## Plain MQTT$/m);
  });

  test("the table has one row per variant, and no other", () => {
    const ids = BOARDS.flatMap((b) => loadBoard(b).device.variants.map((v) => v.id)).sort();
    assert.deepEqual(TABLE.rows.map(rowId).sort(), ids);
  });

  for (const board of BOARDS) {
    const json = loadBoard(board);
    const { tls, variants } = json.device;

    test(`${board}: its TLS need (${fmt(tls.needBytes)} bytes) appears in the section`, () => {
      assert.ok(hasNumber(BOARD_SUPPORT, tls.needBytes), `"${fmt(tls.needBytes)}" is not in README "Board support"`);
    });

    for (const v of variants) {
      test(`${board} ${v.id}: ${fmt(v.jsVars)} JsVars, ${fmt(v.heapAfterWifiBytes)} bytes after Wi-Fi, TLS ${v.tls}`, () => {
        const row = TABLE.rows.find((r) => rowId(r) === v.id);
        assert.ok(row, `no row for \`${v.id}\` in README "Board support"`);
        const line = row.join(" | ");
        assert.ok(hasNumber(row[COL.jsVars]!, v.jsVars), `JsVars: expected ${fmt(v.jsVars)} in: ${line}`);
        assert.ok(hasNumber(row[COL.heap]!, v.heapAfterWifiBytes), `heap after Wi-Fi: expected ${fmt(v.heapAfterWifiBytes)} in: ${line}`);
        assert.ok(hasNumber(row[COL.need]!, tls.needBytes), `TLS need: expected ${fmt(tls.needBytes)} in: ${line}`);
        assert.equal(/^\**(yes|likely|no)\b/.exec(row[COL.tls]!)?.[1], v.tls, `TLS verdict in: ${line}`);
      });
    }
  }
});
