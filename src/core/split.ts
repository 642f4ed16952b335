/** A dataset split as a stage sees it (CMB-ML's `Split`). */

/** One split: its name and the simulations a stage runs on in it. */
export class Split {
  /**
   * @param name split name from the splits file (Train, Valid, Test, Test1, …)
   * @param sims simulation numbers, after `n_sims_cap` and the stage's `override_n_sims`
   */
  constructor(
    readonly name: string,
    readonly sims: readonly number[],
  ) {}

  /** Number of simulations. */
  get nSims(): number {
    return this.sims.length;
  }

  /** The simulation numbers in order. */
  *iterSims(): IterableIterator<number> {
    yield* this.sims;
  }
}
