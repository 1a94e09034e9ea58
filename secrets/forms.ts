/**
 * What to mask for one secret: the secret itself and the encodings in which it commonly shows
 * up in build output. Kept apart from the matcher so the rules can be read (and documented
 * in docs/config.md) in one place.
 */

/** Shorter secrets are ignored: masking every "ab" would shred unrelated output, and no real secret is that short. */
export const MIN_SECRET_LENGTH = 3;

/**
 * A line of a multi-line secret (a PEM key, a JSON credentials file) is masked on its own
 * when its trimmed text has at least this many characters. Short lines (`}`, `Zw==`, a blank
 * line) carry almost none of the secret and appear in unrelated output all the time.
 */
export const MIN_SECRET_LINE_LENGTH = 8;

/** PEM armour: public knowledge, and masking it would hide which kind of key leaked. */
const PEM_ARMOUR = /^-----(?:BEGIN|END) [A-Z0-9 ]+-----$/;

function base64(value: string): string {
  return Buffer.from(value, "utf8").toString("base64");
}

/**
 * The secret as-is, base64 (padded and not), URL-safe base64, JSON-escaped (a multi-line key
 * inside a JSON string is one line with `\n` escapes) and percent-encoded (a password in a
 * URL). Also the part of the base64 that does not depend on what follows the secret: when the
 * secret is the start of a longer encoded text (`token:...`, a JSON document), the last one or
 * two characters of its own encoding change with the next byte.
 */
function encodings(value: string): string[] {
  const b64 = base64(value);
  const unpadded = b64.replace(/=+$/, "");
  const urlSafe = unpadded.replace(/\+/g, "-").replace(/\//g, "_");
  const stable = b64.slice(0, Math.floor(Buffer.byteLength(value) / 3) * 4);
  const component = encodeURIComponent(value);
  const lowerHex = (t: string) => t.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
  const uri = encodeURI(value);
  // Percent-encoding in every common form: upper- and lower-case hex, `+` for a space (HTML
  // forms, query strings), and encodeURI's partial form that leaves `:/?#@` as they are.
  const percent = [component, lowerHex(component), component.replace(/%20/g, "+"), uri, lowerHex(uri)];
  const forms = [value, b64, unpadded, urlSafe, JSON.stringify(value).slice(1, -1), ...percent];
  forms.push(lowerHex(component).replace(/%20/g, "+"));
  if (stable.length >= 8) forms.push(stable, stable.replace(/\+/g, "-").replace(/\//g, "_"));
  return forms;
}

/** Whether one line of a multi-line secret is worth masking wherever it appears (see MIN_SECRET_LINE_LENGTH). */
export function isSignificantLine(line: string): boolean {
  const text = line.trim();
  return text.length >= MIN_SECRET_LINE_LENGTH && !PEM_ARMOUR.test(text) && /[A-Za-z0-9]/.test(text);
}

/**
 * Every string to mask for `secret`. A secret whose only non-blank line is one line (e.g.
 * with a trailing newline) counts as single-line. A multi-line secret never appears whole in
 * one log line, so each significant line of it is masked on its own, besides the encodings
 * of the whole (`base64 -w0 key.pem`, a JSON-escaped key).
 */
export function maskForms(secret: string): string[] {
  const lines = secret.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (lines.length === 0) return [];
  if (lines.length === 1) {
    const line = lines[0] ?? "";
    if (line.length < MIN_SECRET_LENGTH) return [];
    return [...new Set([...encodings(line), ...(secret === line ? [] : encodings(secret))])];
  }
  const forms = encodings(secret).filter((form) => !form.includes("\n"));
  for (const line of lines) if (isSignificantLine(line)) forms.push(line.trim());
  return [...new Set(forms)];
}

/** Secrets at least this long are also masked inside wrapped base64 (see `base64Windows`). */
export const MIN_WRAPPED_SECRET_LENGTH = 8;
/** Width of the windows: a wrapped line shows at most this many minus one characters of it. */
export const BASE64_WINDOW = 8;

/**
 * The interiors of the secret's base64 at the three byte alignments it can have inside a
 * longer encoded text (`base64 -w 76 file`): only the characters that depend on the secret's
 * bytes alone. A wrapped line of that encoding is a substring of one of these, so masking every
 * window of BASE64_WINDOW characters of them masks every wrapped line but a few edge characters,
 * whatever the wrap width.
 */
export function base64Interiors(secret: string): string[] {
  if (secret.length < MIN_WRAPPED_SECRET_LENGTH) return [];
  const bytes = Buffer.from(secret, "utf8");
  const out: string[] = [];
  for (let pad = 0; pad < 3; pad++) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString("base64");
    // The first group mixes the unknown preceding bytes in when pad > 0; the last one the
    // unknown following bytes.
    const start = pad === 0 ? 0 : 4;
    const end = Math.floor((pad + bytes.length) / 3) * 4;
    if (end - start >= BASE64_WINDOW) out.push(encoded.slice(start, end));
  }
  return out;
}
