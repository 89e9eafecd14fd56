// Asks the Espruino REPL one question and reads the answer from its output: a `\x10` (echo off)
// line printing a marker and the values. The marker is built from two halves on the board, so an
// echo of the command itself can never look like an answer.
import type { ConsoleLink } from "../serial/link.ts";

export interface Answer {
  /** The words after the marker, or undefined when no answer came in time. */
  words?: string[];
  /** Everything received meanwhile (for the error message). */
  received: string;
}

/** `exprs` are JavaScript expressions evaluated on the board and printed space-separated. */
export function ask(link: ConsoleLink, exprs: string[], o: { tries?: number; intervalMs?: number } = {}): Promise<Answer> {
  const tag = "TB" + Math.random().toString(36).slice(2, 8).toUpperCase();
  const marker = `<<${tag}>>`;
  const half = Math.floor(marker.length / 2);
  const cmd = `\x10print(${JSON.stringify(marker.slice(0, half))}+${JSON.stringify(marker.slice(half))},${exprs.join(",")})\n`;
  const tries = o.tries ?? 3;
  const interval = o.intervalMs ?? 800;
  let received = "";
  return new Promise((resolve) => {
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (words?: string[]) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ words, received });
    };
    link.onData((t) => {
      if (done) return;
      received += t;
      const at = received.indexOf(marker);
      if (at < 0) return;
      const end = received.indexOf("\n", at);
      if (end < 0) return;
      finish(received.slice(at + marker.length, end).replace(/\r$/, "").trim().split(/\s+/).filter(Boolean));
    });
    const send = () => {
      if (sent === tries) return finish();
      sent++;
      // Ctrl-C clears a half-typed line (boot noise); the CLI does the same before uploading.
      link.write("\x03" + cmd);
      timer = setTimeout(send, interval);
    };
    send();
  });
}

/** Printable start of what a non-Espruino port sent, for an error line. */
export function sample(text: string, max = 40): string {
  const s = text.replace(/[^\x20-\x7e]+/g, " ").trim();
  return s.length > max ? JSON.stringify(s.slice(0, max)) + "…" : JSON.stringify(s);
}
