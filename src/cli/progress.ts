/**
 * The live per-stage display of `cmbflow run` on a terminal: one line per stage (done of
 * total; ran, fresh, restored, failed; rate and ETA) and a total line, redrawn in place at
 * most ten times a second, so 100k nodes never flood the screen. Off a terminal, or with
 * --quiet / --json, the run prints plain lines instead and this display is not used.
 *
 * Redrawing in place is log-update's job (erasing the previous frame by its line count,
 * wrapping-aware, cursor hidden while live); this module only decides what a frame says.
 */
import type { RunEvent, StageCounts } from "../scheduler/events.js";
import { assertNever } from "../diagnostics/result.js";

/** Where frames go: a log-update instance on stderr, or a fake in tests. */
export interface FrameSink {
  /** Replaces the current frame. */
  (text: string): void;
  clear(): void;
  /** Leaves the current frame on screen. */
  done(): void;
}

interface StageLine {
  readonly name: string;
  total: number | undefined;
  counts: { ran: number; fresh: number; restored: number; failed: number; skipped: number };
  startedAt: number | undefined;
  finishedAt: number | undefined;
}

/** Minimum time between two redraws, in milliseconds. */
export const REDRAW_INTERVAL_MS = 100;

/** Follows a run's events and draws frames. */
export class ProgressDisplay {
  readonly #sink: FrameSink;
  readonly #now: () => number;
  readonly #color: boolean;
  readonly #stages = new Map<string, StageLine>();
  #lastDraw = Number.NEGATIVE_INFINITY;
  #runStartedAt = 0;

  constructor(options: { readonly sink: FrameSink; readonly color: boolean; readonly now?: () => number }) {
    this.#sink = options.sink;
    this.#color = options.color;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Takes one event; redraws when the last frame is older than {@link REDRAW_INTERVAL_MS}, or at once for a stage's end. */
  onEvent(event: RunEvent): void {
    const now = this.#now();
    let urgent = false;
    switch (event.type) {
      case "run-started":
        this.#runStartedAt = now;
        for (const name of event.stages) this.#stages.set(name, { name, total: undefined, counts: zero(), startedAt: undefined, finishedAt: undefined });
        urgent = true;
        break;
      case "stage-started": {
        const line = this.#line(event.stage);
        line.total = event.nodes;
        line.startedAt = now;
        break;
      }
      case "node-cached":
        this.#line(event.stage).counts.fresh++;
        break;
      case "node-restored":
        this.#line(event.stage).counts.restored++;
        break;
      case "node-finished":
        this.#line(event.stage).counts.ran++;
        break;
      case "node-failed":
        this.#line(event.failure.stage).counts.failed++;
        break;
      case "node-blocked":
        this.#line(event.stage).counts.skipped++;
        break;
      case "stage-finished": {
        const line = this.#line(event.stage);
        line.counts = { ...event.counts };
        line.finishedAt = now;
        urgent = true;
        break;
      }
      case "run-finished":
        this.#draw(now);
        return;
      case "node-started":
      case "node-restore-failed":
      case "warning":
      case "stage-log":
        return;
      default:
        return assertNever(event);
    }
    if (urgent || now - this.#lastDraw >= REDRAW_INTERVAL_MS) this.#draw(now);
  }

  /** Prints text above the live frame (a failure, a warning) and draws the frame again below it. */
  print(text: string, write: (text: string) => void): void {
    this.#sink.clear();
    write(text);
    this.#draw(this.#now());
  }

  /** Leaves the last frame on screen. */
  finish(): void {
    this.#draw(this.#now());
    this.#sink.done();
  }

  /** The frame for the current state (exposed for tests). */
  frame(now: number = this.#now()): string {
    const lines: string[] = [];
    const width = Math.max(8, ...[...this.#stages.keys()].map((n) => n.length));
    const all = { done: 0, total: 0, ran: 0, fresh: 0, restored: 0, failed: 0, known: true };
    for (const line of this.#stages.values()) {
      const c = line.counts;
      const done = c.ran + c.fresh + c.restored + c.failed + c.skipped;
      all.done += done;
      if (line.total === undefined) all.known = false;
      all.total += line.total ?? 0;
      all.ran += c.ran;
      all.fresh += c.fresh;
      all.restored += c.restored;
      all.failed += c.failed;
      const total = line.total === undefined ? "?" : String(line.total);
      const state = line.startedAt === undefined ? "waiting" : line.finishedAt !== undefined ? this.#paint("done", 32) : this.#pace(c.ran, line.total === undefined ? undefined : line.total - done, now - line.startedAt);
      lines.push(`  ${line.name.padEnd(width)}  ${`${String(done)}/${total}`.padStart(13)}  ${this.#counts(c)}  ${state}`);
    }
    const total = all.known ? String(all.total) : `${String(all.total)}+`;
    lines.push(`  ${"total".padEnd(width)}  ${`${String(all.done)}/${total}`.padStart(13)}  ${this.#counts({ ...all, skipped: 0 })}  ${formatDuration(now - this.#runStartedAt)}`);
    return lines.join("\n");
  }

  #line(stage: string): StageLine {
    let line = this.#stages.get(stage);
    if (line === undefined) {
      line = { name: stage, total: undefined, counts: zero(), startedAt: undefined, finishedAt: undefined };
      this.#stages.set(stage, line);
    }
    return line;
  }

  #draw(now: number): void {
    this.#lastDraw = now;
    this.#sink(this.frame(now));
  }

  #counts(c: Omit<StageCounts, "skipped"> & { readonly skipped?: number }): string {
    const failed = `failed ${String(c.failed).padStart(4)}`;
    return [
      `ran ${String(c.ran).padStart(6)}`,
      `fresh ${String(c.fresh).padStart(6)}`,
      `restored ${String(c.restored).padStart(5)}`,
      c.failed > 0 ? this.#paint(failed, 31) : failed,
    ].join("  ");
  }

  /** Rate of nodes run and the time left at that rate. */
  #pace(ran: number, left: number | undefined, elapsedMs: number): string {
    if (ran === 0 || elapsedMs <= 0) return "running";
    const rate = ran / (elapsedMs / 1000);
    const eta = left === undefined ? "" : `  ETA ${formatDuration((left / rate) * 1000)}`;
    return `${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)} nodes/s${eta}`;
  }

  #paint(text: string, code: number): string {
    return this.#color ? `\u001b[${String(code)}m${text}\u001b[39m` : text;
  }
}

function zero(): StageLine["counts"] {
  return { ran: 0, fresh: 0, restored: 0, failed: 0, skipped: 0 };
}

/** `42 s`, `3 min 05 s`, `2 h 07 min`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${String(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${String(m)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${String(Math.floor(m / 60))} h ${String(m % 60).padStart(2, "0")} min`;
}
