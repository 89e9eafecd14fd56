// Progress for host steps that can take more than two seconds (a build's phases, an upload, an
// interpreter download): one status line redrawn in place on a terminal, nothing at all when the
// stream is not a terminal (CI logs, pipes, tests), where the step's own result line is enough.

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export interface Progress {
  /** Shows `what`, with a percentage when `fraction` (0..1) is given. */
  update(what: string, fraction?: number): void;
  /** Clears the status line; the caller prints the result line after it. */
  done(): void;
}

/** A progress line on `stream` (stderr by default) headed `tag` ("I build: ..."); inert unless a terminal. */
export function progress(tag: string, stream: ProgressStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let shown = false;
  let last = "";
  return {
    update(what, fraction) {
      const pct = fraction === undefined ? "" : ` ${Math.max(0, Math.min(100, Math.floor(fraction * 100)))}%`;
      let line = `I ${tag}: ${what}${pct}`;
      // A pseudo-terminal without a size (script, some CI runners) reports 0 columns: take 80 then.
      const width = (stream.columns || 80) - 1;
      if (line.length > width) line = line.slice(0, width);
      if (line === last) return;
      last = line;
      shown = true;
      // \r to column 0, the line, then erase whatever a longer previous line left.
      stream.write(`\r${line}\x1b[K`);
    },
    done() {
      if (shown) stream.write("\r\x1b[K");
      shown = false;
      last = "";
    },
  };
}
