/**
 * Terminal colours, only where they help: on a TTY, unless NO_COLOR is set (any
 * non-empty value, https://no-color.org) or TERM=dumb. FORCE_COLOR=1 turns them on for
 * pipes (CI logs that render ANSI); FORCE_COLOR=0 turns them off.
 */
export function colourEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  if (env.NO_COLOR) return false;
  if (env.TERM === "dumb") return false;
  return Boolean(stream.isTTY);
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
} as const;

export type StyleName = keyof typeof CODES;
export type Painter = Record<StyleName, (text: string) => string>;

/** Style functions for one stream: plain text when colours are off there. */
export function painter(stream: NodeJS.WriteStream): Painter {
  const on = colourEnabled(stream);
  const out = {} as Painter;
  for (const [name, [open, close]] of Object.entries(CODES) as [StyleName, readonly [number, number]][]) {
    out[name] = on ? (text) => `\u001b[${open}m${text}\u001b[${close}m` : (text) => text;
  }
  return out;
}

/** For stdout (results, tables) and stderr (progress, logs, errors). */
export const out = painter(process.stdout);
export const err = painter(process.stderr);
