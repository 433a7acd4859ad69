// Helpers shared by the verifier's files: inputs, times and quoting of
// token text in messages. Not part of the public exports.

import { Malformed, type Code, fail } from './errors.js';

/** Input is a token in any form: bytes (raw, text or PEM), or a string (text or PEM). */
export type Input = Uint8Array | ArrayBuffer | string;

/** A time: a Date or milliseconds since the Unix epoch. */
export type TimeInput = Date | number;

export function ms(t: TimeInput): number {
  const n = t instanceof Date ? t.getTime() : t;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new TypeError('licet: invalid time');
  return n;
}

export function toBytes(input: Input): Uint8Array {
  if (typeof input === 'string') return new TextEncoder().encode(input);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (input instanceof Uint8Array) return input;
  throw new TypeError('licet: a token is a Uint8Array, an ArrayBuffer or a string');
}

/**
 * quote prints text from a token for a message: JSON-quoted, with the
 * invisible and bidirectional controls escaped too, so that a signed token
 * cannot reorder or hide what a message says.
 */
export function quote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

export function quoteList(list: string[]): string {
  return list.map(quote).join(', ');
}

export function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function isoMs(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** asCode turns a decoding error into the code of the step that failed. */
export function asCode(e: unknown, code: Code, what: string): never {
  if (e instanceof Malformed) throw fail(code, `${what}: ${e.message}`);
  throw e;
}
