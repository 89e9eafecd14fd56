// The monitor's keyboard, as idf.py monitor (miniterm) has it: every key goes to the board, Ctrl-C
// included (it interrupts running JavaScript there), except Ctrl-], which leaves, and Ctrl-T, which
// opens a menu whose next key picks a command. A pure state machine: bytes in, actions out, so the
// keys can be tested without a terminal or a board.

export const CTRL_C = "\x03";
export const CTRL_T = "\x14";
export const CTRL_RBRACKET = "\x1d";

export type KeyAction =
  | { kind: "send"; data: string }
  | { kind: "exit" }
  | { kind: "reset" }
  | { kind: "flash" }
  | { kind: "help" }
  | { kind: "timestamps" }
  /** A key after Ctrl-T that is no command; `key` is how to name it. */
  | { kind: "unknown"; key: string };

/** The key after Ctrl-T -> the command (letters in either case, or the letter's Ctrl- form). */
const MENU: Record<string, KeyAction["kind"]> = {
  r: "reset", "\x12": "reset",
  f: "flash", "\x06": "flash",
  h: "help", "?": "help", "\x08": "help",
  t: "timestamps", i: "timestamps", "\x09": "timestamps",
  x: "exit", "\x18": "exit", [CTRL_RBRACKET]: "exit",
};

/** How a key byte reads in a notice: `R`, `Ctrl-R`, `0x7f`. */
export function keyName(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c >= 1 && c <= 26) return `Ctrl-${String.fromCharCode(64 + c)}`;
  if (c === 0x1b) return "Esc";
  if (c === 0x1d) return "Ctrl-]";
  if (c < 0x20 || c >= 0x7f) return `0x${c.toString(16).padStart(2, "0")}`;
  return ch;
}

export class MonitorKeys {
  private menu = false;

  /** Whether the last Ctrl-T still waits for its command key. */
  get inMenu(): boolean {
    return this.menu;
  }

  /** Feeds typed bytes (latin1); returns what to do, in order, with adjacent sends joined. */
  feed(bytes: string): KeyAction[] {
    const out: KeyAction[] = [];
    const send = (data: string) => {
      const last = out.at(-1);
      if (last?.kind === "send") last.data += data;
      else out.push({ kind: "send", data });
    };
    for (const ch of bytes) {
      if (this.menu) {
        this.menu = false;
        if (ch === CTRL_T) { send(CTRL_T); continue; }
        const kind = MENU[ch.toLowerCase()];
        out.push(kind ? { kind } as KeyAction : { kind: "unknown", key: keyName(ch) });
        if (kind === "exit") return out;
        continue;
      }
      if (ch === CTRL_RBRACKET) {
        out.push({ kind: "exit" });
        return out; // what follows Ctrl-] is not the board's
      }
      if (ch === CTRL_T) { this.menu = true; continue; }
      send(ch);
    }
    return out;
  }
}

/** The help, as idf.py monitor prints its own after Ctrl-T Ctrl-H. */
export function helpText(o: { reset: string; flash: boolean }): string {
  return [
    "--- Ctrl-]        leave the monitor",
    "--- Ctrl-C        goes to the board: interrupts the JavaScript running there",
    "--- Ctrl-T        menu key, followed by:",
    "---   H or ?      this help",
    `---   R           reset the board (${o.reset})`,
    o.flash ? "---   F           build and flash (npm run flash on this port), then monitor again"
      : "---   F           build and flash: not from here (leave and run npm run flash)",
    "---   T           timestamps on each line, on or off",
    "---   Ctrl-T      send Ctrl-T itself to the board",
    "---   X or Ctrl-] leave the monitor",
  ].map((l) => l + "\n").join("");
}
