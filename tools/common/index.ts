// What every host tool uses, in one place: the repository root and the board definitions, the one
// error type of the CLIs, and the facts the firmware shares with the host (limits, protocol
// constants, how a secret is masked), which live in src/ because the firmware needs them too.
export { BOARDS, boardJsonPath, isBoardName, loadBoard, memoryVariant, ROOT } from "./board.ts";
export type { BoardJson, BoardName, MemoryVariant } from "./board.ts";
export { fail, ToolError } from "./errors.ts";
export { KEY_FILE, MAX_INBOUND_BYTES, MAX_INTERVAL_MS, MIN_INTERVAL_MS, TLS_CLOSE_NOTIFY, TOKEN_FILE } from "../../src/constants.ts";
export { mask } from "../../src/mask.ts";
export { progress, type Progress, type ProgressStream } from "./progress.ts";
