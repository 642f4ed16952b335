#!/usr/bin/python3
"""Golden files for cmbflow's pixel geometry, RNG, synalm and beam tests.

Run with the system Python that has healpy 1.16.1 and numpy:

    /usr/bin/python3 scripts/goldens/geometry.py [OUTPUT_DIR]

OUTPUT_DIR defaults to this repository's test/fixtures/healpix. The script is deterministic:
every random input comes from a fixed-seed numpy RandomState, and the gzip stream carries no
timestamp, so re-running it rewrites byte-identical files.

Outputs (about 100 KB in all):
  geometry.json    manifest: metadata, small golden vectors inline, and for each array
                   {"dtype", "offset", "length"} into the blob
  geometry.bin.gz  gzip-compressed concatenation of little-endian arrays: "f64" float64,
                   "i32" int32 (every pixel index is below 2^31 up to nside 8192); each
                   array starts at a byte offset that is a multiple of 8
"""
import gzip
import json
import os
import sys

import healpy as hp
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "test", "fixtures", "healpix")
os.makedirs(OUT, exist_ok=True)

arrays = {}
blob = bytearray()


def put(name, values, dtype):
    """Appends one array to the blob (8-byte aligned) and records it in the manifest."""
    arr = np.ascontiguousarray(values, dtype="<f8" if dtype == "f64" else "<i4")
    if dtype == "i32":
        assert np.array_equal(arr, np.asarray(values)), name
    assert name not in arrays, name
    arrays[name] = {"dtype": dtype, "offset": len(blob), "length": int(arr.size)}
    blob.extend(arr.tobytes())
    blob.extend(b"\0" * (-len(blob) % 8))


# --- pix2ang for every pixel at small nside, both orderings -------------------------
SMALL_NSIDES = [1, 2, 4, 8, 16]
for nside in SMALL_NSIDES:
    ipix = np.arange(hp.nside2npix(nside))
    for nest, tag in ((False, "ring"), (True, "nest")):
        theta, phi = hp.pix2ang(nside, ipix, nest=nest)
        put(f"pix2ang_n{nside}_{tag}_theta", theta, "f64")
        put(f"pix2ang_n{nside}_{tag}_phi", phi, "f64")
    put(f"nest2ring_n{nside}", hp.nest2ring(nside, ipix), "i32")

# --- nside 8192: sampled pixels -----------------------------------------------------
BIG = 8192
npix = hp.nside2npix(BIG)
ncap = 2 * BIG * (BIG - 1)
rs = np.random.RandomState(20240607)
edges = [0, 1, 3, 4, ncap - 1, ncap, ncap + 4 * BIG - 1, ncap + 4 * BIG, npix // 2,
         npix - ncap - 1, npix - ncap, npix - 5, npix - 4, npix - 1,
         BIG * BIG - 1, BIG * BIG, 4 * BIG * BIG, 8 * BIG * BIG - 1, 11 * BIG * BIG]
ipix = np.concatenate([np.array(edges, dtype=np.int64), rs.randint(0, npix, size=1000)])
put("n8192_ipix", ipix, "i32")
for nest, tag in ((False, "ring"), (True, "nest")):
    theta, phi = hp.pix2ang(BIG, ipix, nest=nest)
    put(f"n8192_{tag}_theta", theta, "f64")
    put(f"n8192_{tag}_phi", phi, "f64")
put("n8192_nest2ring", hp.nest2ring(BIG, ipix), "i32")
put("n8192_ring2nest", hp.ring2nest(BIG, ipix), "i32")

# --- ang2pix for random and special angles --------------------------------------------
n_ang = 600
theta = np.arccos(rs.uniform(-1.0, 1.0, size=n_ang))
phi = rs.uniform(-np.pi, 3 * np.pi, size=n_ang)
special_theta = [0.0, np.pi, np.pi / 2, 1e-9, np.pi - 1e-9, 0.3, 2.8, 1.0, 2.0]
special_phi = [0.0, 2 * np.pi, -1e-17, 1e-9, 0.0, 7.0, -7.0, np.pi / 2, 3 * np.pi / 2]
theta = np.concatenate([special_theta, theta])
phi = np.concatenate([special_phi, phi])
put("ang_theta", theta, "f64")
put("ang_phi", phi, "f64")
ANG_NSIDES = [1, 64, 8192]
for nside in ANG_NSIDES:
    put(f"ang2pix_n{nside}_ring", hp.ang2pix(nside, theta, phi), "i32")
    put(f"ang2pix_n{nside}_nest", hp.ang2pix(nside, theta, phi, nest=True), "i32")

# --- numpy legacy RandomState ---------------------------------------------------------
rng_seeds = [0, 1, 42, 12345, 2**32 - 1]
rng_fresh = []
for s in rng_seeds:
    normals = np.random.RandomState(s).standard_normal(20)
    uniforms = np.random.RandomState(s).random_sample(20)
    rng_fresh.append({"seed": s, "standard_normal": normals.tolist(), "random_sample": uniforms.tolist()})

# Interleaved calls exercise the cached second value of the polar method: random_sample
# draws do not touch the cache, a cached normal survives them.
ops = "nunnuunnnunununnnnuuunnunnnunuuunnnnnunununuunnnnnuuunnnnnuunu"
r = np.random.RandomState(7)
interleaved = [float(r.standard_normal()) if op == "n" else float(r.random_sample()) for op in ops]
# Re-seeding clears the cache.
r = np.random.RandomState(7)
r.standard_normal()
r.seed(7)
reseed_first = float(r.standard_normal())

long_seed, long_n = 2024, 5000
long = np.random.RandomState(long_seed).standard_normal(long_n)
long_idx = [0, 1, 2, 155, 156, 311, 312, 623, 624, 1000, 2500, 4998, 4999]

# --- synalm ---------------------------------------------------------------------------
synalm_cases = []


def synalm_case(name, seed, cl, lmax):
    np.random.seed(seed)
    alm = hp.synalm(cl, lmax=lmax)
    after = float(np.random.standard_normal())
    inter = np.empty(2 * alm.size)
    inter[0::2] = alm.real
    inter[1::2] = alm.imag
    put(f"synalm_{name}_cl", cl, "f64")
    put(f"synalm_{name}_alm", inter, "f64")
    synalm_cases.append({"name": name, "seed": seed, "lmax": lmax, "next_normal": after})


ell = np.arange(25, dtype=float)
cl_a = np.zeros(25)
cl_a[2:] = 1.0 / (ell[2:] * (ell[2:] + 1))
cl_a[5] = -1.0  # negative C_l gives zero alm
synalm_case("lmax24", 1234, cl_a, 24)
# Not golden-tested: healpy 1.16.1 reads C_l past the end of a short cl array (l > len(cl) − 1)
# from uninitialised memory, so those alm differ from run to run; cmbflow uses C_l = 0 there.
synalm_case("truncated", 99, np.linspace(0.5, 2.0, 50), 20)  # cl longer than lmax + 1
synalm_case("odd", 5, np.array([2.0, 1.0, 0.5]), 1)  # 3 slots: odd draw count per half

# --- gauss_beam -----------------------------------------------------------------------
beam_cases = []
for name, fwhm in (("5arcmin", np.radians(5 / 60)), ("30arcmin", np.radians(30 / 60)),
                   ("1deg", np.radians(1.0)), ("zero", 0.0)):
    put(f"gauss_beam_{name}", hp.gauss_beam(fwhm, lmax=300), "f64")
    beam_cases.append({"name": name, "fwhm_rad": float(fwhm), "lmax": 300})

manifest = {
    "generator": "scripts/goldens/geometry.py",
    "healpy": hp.__version__,
    "numpy": np.__version__,
    "small_nsides": SMALL_NSIDES,
    "ang_nsides": ANG_NSIDES,
    "rng": {
        "fresh": rng_fresh,
        "interleaved": {"seed": 7, "ops": ops, "values": interleaved},
        "reseed_first": reseed_first,
        "long": {"seed": long_seed, "n": long_n, "indices": long_idx,
                 "values": [float(long[i]) for i in long_idx], "sum": float(np.sum(long))},
    },
    "synalm": synalm_cases,
    "gauss_beam": beam_cases,
    "arrays": arrays,
}
with open(os.path.join(OUT, "geometry.bin.gz"), "wb") as fh:
    fh.write(gzip.compress(bytes(blob), compresslevel=9, mtime=0))
with open(os.path.join(OUT, "geometry.json"), "w") as fh:
    json.dump(manifest, fh, indent=1)
    fh.write("\n")
