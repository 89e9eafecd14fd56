/** Bytes to a binary string (one shared alias keeps the bundle small). */
export const chr = String.fromCharCode;
