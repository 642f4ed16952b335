#!/usr/bin/python3
"""Reference sky-map pictures from healpy's mollview, for test/handlers/sky-map-healpy.test.ts.

    /usr/bin/python3 scripts/goldens/mollview.py OUTDIR

Writes into OUTDIR, for each case NAME: NAME.fits (the map, as healpy writes it) and NAME.png
(hp.mollview(map, min=, max=, cmap=, rot=, title="", cbar=False); plt.savefig at 100 dpi; one
case each with hp.cartview and hp.orthview(half_sky=True)).
The maps are smooth (synfast of a steep spectrum), so a sample that lands one pixel over in
one picture still has nearly the colour of its neighbour: the comparison tests the projection,
orientation, rotation, colours and bad-pixel colour rather than matplotlib's resampling.
The test runs this script into a temporary folder when healpy and matplotlib are present; it is
deterministic (fixed seeds), so nothing it makes needs committing.
"""
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import healpy as hp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)

ell = np.arange(0, 17)
cl = np.zeros(len(ell))
cl[2:] = 1.0 / (ell[2:] * (ell[2:] + 1.0))


def smooth_map(seed, nside):
    np.random.seed(seed)
    return hp.synfast(cl, nside, lmax=16)


CASES = []
m = smooth_map(1, 128)
CASES.append(("viridis-lin", m, dict(min=-1.5, max=1.5, cmap="viridis"), False))
CASES.append(("coolwarm-rot", m, dict(min=-2.0, max=1.6, cmap="coolwarm", rot=(60, 30)), False))
u = smooth_map(2, 128)
u[hp.query_strip(128, np.radians(60), np.radians(80))] = hp.UNSEEN
CASES.append(("unseen-nest", hp.reorder(u, r2n=True), dict(cmap="viridis"), True))
# Cartesian (cartview), rotated: the whole rectangle is the sphere.
CASES.append(("cart-rot", m, dict(min=-1.5, max=1.5, cmap="coolwarm", rot=(100, 0), view=hp.cartview), False))
# Orthographic, the near hemisphere only (half_sky), centred away from (0, 0).
CASES.append(("ortho-rot", m, dict(min=-1.5, max=1.5, cmap="viridis", rot=(-40, 50), half_sky=True, view=hp.orthview), False))

for name, data, kwargs, nest in CASES:
    hp.write_map(str(out / f"{name}.fits"), data, nest=nest, overwrite=True, dtype=np.float64)
    draw = kwargs.pop("view", hp.mollview)
    draw(data, nest=nest, title="", cbar=False, xsize=1600, **kwargs)
    plt.savefig(out / f"{name}.png", dpi=100)
    plt.close("all")
print("\n".join(name for name, *_ in CASES))
