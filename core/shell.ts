/**
 * Quotes a string as one word for POSIX sh: single quotes, each `'` written as `'\''`. Inside
 * single quotes sh expands nothing (`$`, backticks, `\`, globs), so any text is safe, newlines
 * included; this is the only quoting Slipway uses for the scripts it writes.
 */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
