/**
 * A read-tracking view of the resolved configuration, for the cache: an executor's constructor
 * reads its parameters through the view, and the key paths it read become part of its nodes'
 * fingerprints.
 *
 * What counts as a read of path P:
 * - getting a scalar (or a missing key: its absence is a dependency too) at P;
 * - getting a list at P (lists are values: a list is recorded whole, and returned as is);
 * - enumerating a mapping at P (`Object.keys`, `for...in`, spreading, `JSON.stringify`) or
 *   asking `"k" in view` (recorded as P.k).
 * Getting a mapping alone records nothing: it returns another view, and the reads below it count.
 */
import { isConfigObject, pathKey } from "./node.js";
import type { ConfigObject, ConfigValue, KeyPath } from "./types.js";

/** A read-only view and the key paths read through it so far. */
export interface TrackedConfig<T extends ConfigObject = ConfigObject> {
  readonly view: T;
  /**
   * Key paths read, in the order first read, without duplicates and without paths below a path
   * already read whole (a read of `a` covers `a.b`).
   */
  reads(): KeyPath[];
}

/** Property names that runtimes and libraries probe on any object; not reads of the config. */
const IGNORED = new Set(["then", "toJSON", "constructor", "asymmetricMatch", "$$typeof", "nodeType", "@@__IMMUTABLE_ITERABLE__@@"]);

/** Wrap `config` so that every read is recorded. Writes through the view throw a TypeError. */
export function trackReads<T extends ConfigObject>(config: T): TrackedConfig<T> {
  const order: KeyPath[] = [];
  const seen = new Set<string>();
  const record = (path: KeyPath): void => {
    const key = pathKey(path);
    if (seen.has(key)) return;
    seen.add(key);
    order.push(path);
  };
  // Views per key path (not per object: one object can be reachable at two paths).
  const views = new Map<string, ConfigObject>();

  const wrap = (target: ConfigObject, path: KeyPath): ConfigObject => {
    const viewKey = pathKey(path);
    const known = views.get(viewKey);
    if (known !== undefined) return known;
    // The proxy's own target is a fresh object, so that frozen configs do not trip the
    // Proxy invariants (a frozen property must be returned unchanged, not as a view).
    const proxy = new Proxy<Record<string, ConfigValue>>(
      {},
      {
        get(_shadow, property) {
          if (typeof property === "symbol") return Reflect.get(target, property) as unknown;
          if (!Object.hasOwn(target, property)) {
            if (!IGNORED.has(property)) record([...path, property]);
            return undefined;
          }
          const value = target[property];
          if (isConfigObject(value)) return wrap(value, [...path, property]);
          record([...path, property]);
          return value;
        },
        has(_shadow, property) {
          if (typeof property === "symbol") return false;
          record([...path, property]);
          return Object.hasOwn(target, property);
        },
        ownKeys() {
          record(path);
          return Reflect.ownKeys(target);
        },
        getOwnPropertyDescriptor(_shadow, property) {
          if (typeof property === "symbol" || !Object.hasOwn(target, property)) return undefined;
          return { value: proxyValue(property), writable: false, enumerable: true, configurable: true };
        },
        set() {
          throw new TypeError(`Configuration is read-only (writing ${describe(path)})`);
        },
        defineProperty() {
          throw new TypeError(`Configuration is read-only (writing ${describe(path)})`);
        },
        deleteProperty() {
          throw new TypeError(`Configuration is read-only (deleting in ${describe(path)})`);
        },
      },
    );
    const proxyValue = (property: string): unknown => {
      const value = target[property];
      return isConfigObject(value) ? wrap(value, [...path, property]) : value;
    };
    views.set(viewKey, proxy);
    return proxy;
  };

  return {
    view: wrap(config, []) as T,
    reads() {
      const covered = (path: KeyPath): boolean => {
        for (let length = path.length - 1; length >= 0; length--) {
          if (seen.has(pathKey(path.slice(0, length)))) return true;
        }
        return false;
      };
      return order.filter((path) => !covered(path));
    },
  };
}

function describe(path: KeyPath): string {
  return path.length === 0 ? "the top level" : path.map(String).join(".");
}
