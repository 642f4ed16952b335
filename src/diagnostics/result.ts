/** Expected failures are values (STYLE.md "Errors"): a `Result` is either `ok` with a value or not, with an error. */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** Wrap a success. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** Wrap a failure. */
export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

/** Exhaustiveness check for `switch` over a discriminated union: reaching it is a broken invariant. */
export function assertNever(value: never): never {
  throw new Error(`Internal error: unexpected value ${JSON.stringify(value)}`);
}
