// The virtual board's TCP REPL speaks enough of Espruino's console for the espruino CLI: prompt,
// echo and =result, \x10 echo-off lines, Alt-Enter newlines, Ctrl-C, reset(), Storage.write, load().
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { VirtualBoard } from "../tools/vboard/index.ts";
import { complete, startRepl, type ReplServer } from "../tools/vboard/repl.ts";

let dir: string;
let vb: VirtualBoard;
let repl: ReplServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-repl-"));
  vb = new VirtualBoard({ board: "esp32", storageDir: dir });
  vb.boot();
  repl = await startRepl(vb);
});

after(async () => {
  await repl?.close();
  await vb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Client { sock: Socket; text(): string; until(re: RegExp, ms?: number): Promise<string>; close(): void }

async function client(): Promise<Client> {
  const sock = connect(repl.port, "127.0.0.1");
  await new Promise((r) => sock.once("connect", r));
  let got = "";
  sock.on("data", (d) => { got += d.toString("latin1"); });
  return {
    sock,
    text: () => got,
    until: async (re, ms = 3000) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (re.test(got)) return got;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no ${re} in ${JSON.stringify(got)}`);
    },
    close: () => sock.destroy(),
  };
}

test("only loopback hosts are served", async () => {
  await assert.rejects(startRepl(vb, { host: "0.0.0.0" }), /not a loopback address/);
});

test("Enter on an empty line shows the prompt; an echoed line prints =result and a new prompt", async () => {
  const c = await client();
  try {
    c.sock.write("\n");
    await c.until(/>$/);
    c.sock.write("1+2\n");
    const t = await c.until(/=3\r\n>$/);
    assert.match(t, /1\+2\r\n=3\r\n>$/, "the line is echoed, then the result");
    c.sock.write('"a"+"b"\r\n');
    await c.until(/="ab"\r\n>$/);
  } finally {
    c.close();
  }
});

test("a \\x10 line runs without echo or result; only what it prints comes back", async () => {
  const c = await client();
  try {
    c.sock.write("\x10print('x'+'y')\n\x10print('done')\n");
    const t = await c.until(/done\r\n$/);
    assert.equal(t, "xy\r\ndone\r\n");
  } finally {
    c.close();
  }
});

test("ESC LF continues a command without running it; Ctrl-C drops a half-typed line", async () => {
  const c = await client();
  try {
    c.sock.write("\x10function f(a) {\x1B\n  return a * 2;\x1B\n}\n\x10print(f(21))\n");
    await c.until(/^42\r\n$/);
    c.sock.write("\x10print('never'\x03\x10print('after')\n");
    const t = await c.until(/after\r\n$/);
    assert.doesNotMatch(t, /never/);
    c.sock.write("bogus(\n"); // unbalanced: waits for more
    await c.until(/\r\n:$/);
    c.sock.write(")\n");
    await c.until(/Uncaught .*bogus/);
  } finally {
    c.close();
  }
});

test("Storage.write lands in the board's Storage; reset() clears the program; load() runs .bootcde", async () => {
  const c = await client();
  try {
    c.sock.write('\x10var kept = 1;\n\x10require("Storage").write(".bootcde","print(\\"booted \\"+(typeof kept))",0,29);\n');
    c.sock.write("\x10reset();\n\x10print('after reset', typeof kept)\n");
    await c.until(/after reset undefined\r\n/);
    assert.equal(vb.storage.read(".bootcde"), 'print("booted "+(typeof kept))');
    c.sock.write("\x10load()\n");
    await c.until(/booted undefined\r\n/);
  } finally {
    c.close();
  }
});

test("program output reaches every connected console, redrawing the prompt", async () => {
  const a = await client();
  const b = await client();
  try {
    a.sock.write("\n");
    await a.until(/>$/);
    b.sock.write("\x10setTimeout(function(){print('I (1) t: hello')}, 10)\n");
    await a.until(/\rI \(1\) t: hello\r\n>$/);
    await b.until(/^I \(1\) t: hello\r\n$/);
  } finally {
    a.close();
    b.close();
  }
});

test("complete(): brackets, strings and comments decide whether Enter runs the line", () => {
  assert.equal(complete("f(1)"), true);
  assert.equal(complete("f(1"), false);
  assert.equal(complete('print(")")'), true);
  assert.equal(complete('print("('), false);
  assert.equal(complete("/* ( */ 1"), true);
  assert.equal(complete("/* open"), false);
  assert.equal(complete("x = 1 // ("), true);
});
