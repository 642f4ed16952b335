/**
 * `${now:FORMAT}`: Python's `datetime.now().strftime(FORMAT)` for the directives Hydra users
 * write in run folders and file names (local time, C locale).
 */
import { err, ok } from "../diagnostics/result.js";
import type { Result } from "../diagnostics/result.js";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"] as const;

/** Directives understood, for messages. */
export const STRFTIME_DIRECTIVES = "%Y %y %m %d %H %I %M %S %f %p %j %a %A %b %B %%";

/** `instant` formatted by `format`; the error names the first directive not understood. */
export function strftime(format: string, instant: Date): Result<string, string> {
  const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
  let out = "";
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== "%") {
      out += c ?? "";
      continue;
    }
    const d = format[i + 1];
    i += 1;
    if (d === undefined) return err(`"%" at the end`);
    switch (d) {
      case "Y": out += String(instant.getFullYear()); break;
      case "y": out += pad(instant.getFullYear() % 100); break;
      case "m": out += pad(instant.getMonth() + 1); break;
      case "d": out += pad(instant.getDate()); break;
      case "H": out += pad(instant.getHours()); break;
      case "I": out += pad(((instant.getHours() + 11) % 12) + 1); break;
      case "M": out += pad(instant.getMinutes()); break;
      case "S": out += pad(instant.getSeconds()); break;
      // Python gives microseconds; a Date holds milliseconds.
      case "f": out += pad(instant.getMilliseconds() * 1000, 6); break;
      case "p": out += instant.getHours() < 12 ? "AM" : "PM"; break;
      case "j": out += pad(dayOfYear(instant), 3); break;
      case "a": out += (DAYS[instant.getDay()] ?? "").slice(0, 3); break;
      case "A": out += DAYS[instant.getDay()] ?? ""; break;
      case "b": out += (MONTHS[instant.getMonth()] ?? "").slice(0, 3); break;
      case "B": out += MONTHS[instant.getMonth()] ?? ""; break;
      case "%": out += "%"; break;
      default:
        return err(`"%${d}"`);
    }
  }
  return ok(out);
}

function dayOfYear(instant: Date): number {
  const start = new Date(instant.getFullYear(), 0, 1);
  return Math.round((new Date(instant.getFullYear(), instant.getMonth(), instant.getDate()).getTime() - start.getTime()) / 86_400_000) + 1;
}
