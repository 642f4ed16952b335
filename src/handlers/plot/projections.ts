/**
 * Sky projections as healpy draws them: the view is centred on longitude 0 (or on `rot`) with
 * longitude increasing to the LEFT, as the sky is seen from inside the sphere.
 *
 * Plot coordinates (u, v): u ∈ [−1, 1] left to right, v upwards, v ∈ [−aspect, aspect]; the
 * drawing is 2 units wide and 2·aspect tall.
 *
 * | symbol | meaning | range |
 * |---|---|---|
 * | λ, φ | longitude, latitude in the view frame | (−π, π], [−π/2, π/2] |
 * | θ, ϕ | colatitude, longitude in the map's frame (HEALPix angles) | [0, π], [0, 2π) |
 * | γ | Mollweide auxiliary angle, 2γ + sin 2γ = π sin φ | [−π/2, π/2] |
 * | rot | (lon0, lat0): the map direction drawn at the centre | degrees |
 *
 * Mollweide: x = −(2√2/π)·λ·cos γ, y = √2·sin γ on an ellipse 4√2 × 2√2, scaled here by 1/(2√2).
 * Cartesian (plate carrée): u = −λ/π, v = φ/π. Orthographic: the hemisphere facing the viewer,
 * u = −cos φ sin λ, v = sin φ on the unit disc.
 */

/** The projections cmbflow draws. */
export type ProjectionName = "moll" | "cart" | "ortho";

/** Every {@link ProjectionName}, in the order messages list them. */
export const PROJECTION_NAMES: readonly ProjectionName[] = ["moll", "cart", "ortho"];

/** The map direction at the centre of the view, in degrees. */
export interface Rotation {
  readonly lon: number;
  readonly lat: number;
}

/** A projection with a rotation applied: plot coordinates ↔ map angles. */
export interface Projection {
  readonly name: ProjectionName;
  /** Half-height over half-width of the drawing: 0.5 (moll, cart) or 1 (ortho). */
  readonly aspect: number;
  /**
   * The map direction seen at (u, v), written to `out` as a unit vector [x, y, z] in the map's
   * frame; false when (u, v) is off the sphere's drawing (outside the ellipse or disc).
   */
  inverse(u: number, v: number, out: Float64Array): boolean;
  /**
   * Where the map direction (θ, ϕ) is drawn, written to `out` as [u, v]; false when it is not
   * visible (the far hemisphere of the orthographic view).
   */
  forward(theta: number, phi: number, out: Float64Array): boolean;
}

/** Solves 2γ + sin 2γ = π sin φ by Newton's method (converges in a few steps except at the poles). */
function mollweideGamma(phi: number): number {
  if (Math.abs(phi) >= Math.PI / 2 - 1e-12) return Math.sign(phi) * (Math.PI / 2);
  const target = Math.PI * Math.sin(phi);
  let g = phi;
  for (let k = 0; k < 50; k++) {
    const f = 2 * g + Math.sin(2 * g) - target;
    const d = 2 + 2 * Math.cos(2 * g);
    if (d < 1e-15) break;
    const step = f / d;
    g -= step;
    if (Math.abs(step) < 1e-13) break;
  }
  return g;
}

/**
 * A projection centred on `rot`. The view frame is the map's frame turned so that (lon0, lat0)
 * sits at the view's (0, 0): a view vector w maps to the map vector Rz(lon0)·Ry(lat0)·w, where
 * Ry(a) tilts +x towards +z by a.
 */
export function makeProjection(name: ProjectionName, rot: Rotation = { lon: 0, lat: 0 }): Projection {
  const cl = Math.cos((rot.lon * Math.PI) / 180);
  const sl = Math.sin((rot.lon * Math.PI) / 180);
  const cb = Math.cos((rot.lat * Math.PI) / 180);
  const sb = Math.sin((rot.lat * Math.PI) / 180);

  /** View vector → map vector [x, y, z]. */
  const toMap = (x: number, y: number, z: number, out: Float64Array): void => {
    const x1 = x * cb - z * sb;
    out[2] = x * sb + z * cb;
    out[0] = x1 * cl - y * sl;
    out[1] = x1 * sl + y * cl;
  };
  /** Map angles → view vector (the transpose of toMap's rotation), as [x, y, z] in `out`. */
  const toView = (theta: number, phi: number, out: Float64Array): void => {
    const st = Math.sin(theta);
    const x2 = st * Math.cos(phi);
    const y2 = st * Math.sin(phi);
    const z1 = Math.cos(theta);
    const x1 = x2 * cl + y2 * sl;
    const y = -x2 * sl + y2 * cl;
    out[0] = x1 * cb + z1 * sb;
    out[1] = y;
    out[2] = -x1 * sb + z1 * cb;
  };
  const w = new Float64Array(3);

  switch (name) {
    case "moll":
      return {
        name,
        aspect: 0.5,
        inverse(u, v, out) {
          if (u * u + 4 * v * v > 1) return false;
          const sg = Math.max(-1, Math.min(1, 2 * v));
          const g = Math.asin(sg);
          const cg = Math.sqrt(1 - sg * sg);
          // sin φ = (2γ + sin 2γ)/π, with sin 2γ = 2 sin γ cos γ.
          const sp = Math.max(-1, Math.min(1, (2 * g + 2 * sg * cg) / Math.PI));
          const cp = Math.sqrt(1 - sp * sp);
          const lon = cg > 1e-12 ? (-Math.PI * u) / cg : 0;
          if (Math.abs(lon) > Math.PI) return false;
          toMap(cp * Math.cos(lon), cp * Math.sin(lon), sp, out);
          return true;
        },
        forward(theta, phi, out) {
          toView(theta, phi, w);
          const lat = Math.asin(Math.max(-1, Math.min(1, w[2] ?? 0)));
          const lon = Math.atan2(w[1] ?? 0, w[0] ?? 0);
          const g = mollweideGamma(lat);
          out[0] = (-lon / Math.PI) * Math.cos(g);
          out[1] = Math.sin(g) / 2;
          return true;
        },
      };
    case "cart":
      return {
        name,
        aspect: 0.5,
        inverse(u, v, out) {
          if (Math.abs(u) > 1 || Math.abs(v) > 0.5) return false;
          const lon = -Math.PI * u;
          const lat = Math.PI * v;
          const cp = Math.cos(lat);
          toMap(cp * Math.cos(lon), cp * Math.sin(lon), Math.sin(lat), out);
          return true;
        },
        forward(theta, phi, out) {
          toView(theta, phi, w);
          out[0] = -Math.atan2(w[1] ?? 0, w[0] ?? 0) / Math.PI;
          out[1] = Math.asin(Math.max(-1, Math.min(1, w[2] ?? 0))) / Math.PI;
          return true;
        },
      };
    case "ortho":
      return {
        name,
        aspect: 1,
        inverse(u, v, out) {
          const r2 = u * u + v * v;
          if (r2 > 1) return false;
          toMap(Math.sqrt(1 - r2), -u, v, out);
          return true;
        },
        forward(theta, phi, out) {
          toView(theta, phi, w);
          if ((w[0] ?? 0) < 0) return false;
          out[0] = -(w[1] ?? 0);
          out[1] = w[2] ?? 0;
          return true;
        },
      };
    default: {
      const unknown: never = name;
      throw new Error(`Internal error: unknown projection ${String(unknown)}`);
    }
  }
}

/** True when `text` names a projection. */
export function isProjectionName(text: string): text is ProjectionName {
  return (PROJECTION_NAMES as readonly string[]).includes(text);
}
