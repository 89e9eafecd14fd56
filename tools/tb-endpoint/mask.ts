// Tokens appear in logs and events only masked: enough to tell two apart, never enough to reuse.
export function maskToken(token: string | undefined): string {
  if (token === undefined) return "(none)";
  if (token === "") return "(empty)";
  if (token.length <= 6) return "*".repeat(token.length);
  return `${token.slice(0, 3)}***${token.slice(-2)}`;
}
