#!/usr/bin/python3
"""Golden files for the spherical-harmonic transform tests (test/healpix/sht*.test.ts).

Run with the system Python that has healpy 1.16.1 (apt-get install -y python3-healpy):

    /usr/bin/python3 scripts/goldens/sht.py test/fixtures/healpix/sht

Writes <out>/manifest.json and little-endian float64 files <out>/<case>.f64 (about 290 KB in all).
Deterministic: inputs come from integer formulas that JavaScript evaluates bit-identically
(every step is one correctly rounded IEEE operation), or from numpy's seeded legacy generator
(synfast), so the tests need no input files. Large outputs are stored as every stride-th pixel
or coefficient (max|·| of the full output in the manifest), which the manifest records.

Formulas (mirrored in test/healpix/sht-goldens.ts):
  alm(l, m; s):  u = ((131 l + 71 m + 17 s) mod 251)/125.5 - 1,
                 v = ((97 l + 43 m + 29 s) mod 241)/120.5 - 1,
                 a_lm = (u/(l + 1), v/(l + 1)), Im = 0 for m = 0
  gauss alm:     np.random.RandomState(s): standard normals for all Re, then all Im (T, E, B in turn)
  map(p; s):     ((48271 p + 7919 s) mod 65521)/32760.5 - 1
  unseen(p; s):  map(p; s), but UNSEEN where p mod 97 == 0
  cl(l):         1/((l + 1)(l + 2))
  pol cls:       TT = cl, EE = TT/10, BB = TT/50 (0 for l < 2), TE = 0.3((l mod 7) − 3)/3·√(TT·EE),
                 EB = 0.05((l mod 5) − 2)/2·√(EE·BB), TB = 0.05((l mod 3) − 1)·√(TT·BB)
"""
import json
import os
import sys

import healpy as hp
import numpy as np


def gauss_alm(lmax, rng):
    """White a_lm: numpy normals, all real parts then all imaginary parts; Im = 0 for m = 0."""
    n = hp.Alm.getsize(lmax)
    re = rng.standard_normal(n)
    im = rng.standard_normal(n)
    im[:lmax + 1] = 0
    return re + 1j * im


def formula_alm(lmax, mmax, s):
    out = np.zeros(hp.Alm.getsize(lmax, mmax), dtype=np.complex128)
    for m in range(mmax + 1):
        for l in range(m, lmax + 1):
            u = ((131 * l + 71 * m + 17 * s) % 251) / 125.5 - 1.0
            v = ((97 * l + 43 * m + 29 * s) % 241) / 120.5 - 1.0
            re = u / (l + 1)
            im = 0.0 if m == 0 else v / (l + 1)
            out[hp.Alm.getidx(lmax, l, m)] = complex(re, im)
    return out


def formula_pol_cls(n, edge=False):
    """TT, EE, BB, TE, EB, TB; with `edge`, TT_3 = 0 and TE_1 = 0.05 where EE_1 = 0 (not PSD)."""
    tt = formula_cl(n)
    ell = np.arange(n)
    ee = tt / 10.0
    bb = tt / 50.0
    ee[:2] = 0.0
    bb[:2] = 0.0
    te = 0.3 * ((ell % 7) - 3.0) / 3.0 * np.sqrt(tt * ee)
    eb = 0.05 * ((ell % 5) - 2.0) / 2.0 * np.sqrt(ee * bb)
    tb = 0.05 * ((ell % 3) - 1.0) * np.sqrt(tt * bb)
    if edge:
        tt[3] = 0.0
        te[1] = 0.05
    return [tt, ee, bb, te, eb, tb]


def formula_map(nside, s, unseen=False):
    p = np.arange(12 * nside * nside, dtype=np.int64)
    x = ((48271 * p + 7919 * s) % 65521) / 32760.5 - 1.0
    if unseen:
        x[p % 97 == 0] = hp.UNSEEN
    return x


def formula_cl(n):
    ell = np.arange(n, dtype=np.float64)
    return 1.0 / ((ell + 1.0) * (ell + 2.0))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: sht.py OUTPUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cases = []

    def save(name, kind, params, values, stride=1):
        """Stores values[::stride] (complex values: every stride-th coefficient, as re, im)."""
        values = np.ascontiguousarray(values)
        unit = "complex" if np.iscomplexobj(values) else "real"
        values = np.ascontiguousarray(values[::stride])
        data = (values.view(np.float64) if unit == "complex" else values).astype("<f8")
        data.tofile(os.path.join(out, name + ".f64"))
        cases.append({"name": name, "kind": kind, "params": params, "file": name + ".f64",
                      "length": int(data.size), "stride": stride, "unit": unit})

    # alm2map: full maps at small nside, pixel subsets above; lmax beyond 3·nside − 1 and
    # mmax < lmax exercise aliasing and short columns.
    for nside, lmax, mmax, s, stride in [(8, 23, 23, 1, 1), (8, 40, 40, 2, 1), (16, 40, 20, 3, 2),
                                         (32, 95, 95, 4, 16), (64, 128, 128, 5, 64)]:
        alm = formula_alm(lmax, mmax, s)
        m = hp.alm2map(alm, nside, lmax=lmax, mmax=mmax)
        save(f"alm2map_n{nside}_l{lmax}_m{mmax}", "alm2map",
             {"nside": nside, "lmax": lmax, "mmax": mmax, "seed": s, "max_abs": float(np.abs(m).max())}, m, stride)

    # Underflow regime: polar rings at nside 512, lmax 1535 (first three rings of each cap and
    # a stretch of the equator), where λ_mm underflows doubles for m ≳ 130.
    nside, lmax = 512, 1535
    alm = formula_alm(lmax, lmax, 6)
    m = hp.alm2map(alm, nside, lmax=lmax)
    npix = 12 * nside * nside
    pix = np.concatenate([np.arange(0, 24), np.arange(npix // 2 - 16, npix // 2 + 16), np.arange(npix - 24, npix)])
    data = m[pix].astype("<f8")
    data.tofile(os.path.join(out, "alm2map_polar_n512.f64"))
    cases.append({"name": "alm2map_polar_n512", "kind": "alm2map-pixels",
                  "params": {"nside": nside, "lmax": lmax, "mmax": lmax, "seed": 6, "max_abs": float(np.abs(m).max())},
                  "file": "alm2map_polar_n512.f64", "length": int(data.size), "pixels": pix.tolist()})

    # map2alm (iter 0 and 3) of formula maps; one map with UNSEEN pixels; one with mmax < lmax.
    # nside 2 is a single block of ring pairs; nside 128, lmax 383 reaches the regime where λ_mm
    # underflows near the poles (m ≳ 140), stored every 128th coefficient.
    for nside, lmax, mmax, s, unseen, stride in [(8, 23, 23, 1, False, 1), (16, 47, 47, 2, False, 1),
                                                 (32, 95, 95, 3, False, 8), (8, 23, 23, 4, True, 1),
                                                 (8, 23, 10, 5, False, 1), (2, 8, 8, 6, False, 1),
                                                 (128, 383, 383, 7, False, 128)]:
        mp = formula_map(nside, s, unseen)
        for it in (0, 3):
            a = hp.map2alm(mp, lmax=lmax, mmax=mmax, iter=it)
            save(f"map2alm_n{nside}_l{lmax}_m{mmax}_s{s}_i{it}", "map2alm",
                 {"nside": nside, "lmax": lmax, "mmax": mmax, "seed": s, "unseen": unseen, "iter": it,
                  "max_abs": float(np.abs(a).max())}, a, stride)

    # anafast: auto and cross spectra, iter 3 (default) and 0.
    for nside, lmax, s1, s2, it in [(16, 47, 1, None, 3), (16, 47, 1, 2, 3), (32, 95, 3, None, 0), (32, 95, 3, 4, 3)]:
        m1 = formula_map(nside, s1)
        m2 = None if s2 is None else formula_map(nside, s2)
        c = hp.anafast(m1, m2, lmax=lmax, iter=it)
        save(f"anafast_n{nside}_s{s1}_{s2}_i{it}", "anafast",
             {"nside": nside, "lmax": lmax, "seed": s1, "seed2": s2, "iter": it}, c)

    # synfast with numpy's seeded legacy generator, healpy defaults (lmax = min(len − 1, 3 nside − 1)).
    for nside, ncl, seed, fwhm, stride in [(8, 40, 1234, 0.0, 1), (32, 200, 42, 0.0, 16), (64, 100, 7, 0.0, 64),
                                           (32, 200, 2024, 0.05, 16)]:
        cl = formula_cl(ncl)
        np.random.seed(seed)
        m = hp.synfast(cl, nside, fwhm=fwhm)
        save(f"synfast_n{nside}_s{seed}_f{fwhm}", "synfast",
             {"nside": nside, "ncl": ncl, "seed": seed, "fwhm": fwhm, "max_abs": float(np.abs(m).max())}, m, stride)

    # synfast new=True (TT, EE, BB, TE[, EB, TB]) with numpy's seeded legacy generator; and synalm
    # with a zero TT and a non-positive-definite l (full alm, lmax 8).
    for nside, nspec, seed, fwhm, stride in [(16, 4, 101, 0.0, 12), (16, 6, 102, 0.05, 12), (64, 6, 103, 0.02, 192),
                                             (256, 4, 104, 0.0, 3072)]:
        cls = formula_pol_cls(3 * nside)[:nspec]
        np.random.seed(seed)
        maps = hp.synfast(cls, nside, fwhm=fwhm, new=True)
        for f, mp in zip("IQU", maps):
            save(f"synfast_pol_n{nside}_c{nspec}_s{seed}_{f}", "synfast-pol",
                 {"nside": nside, "nspec": nspec, "seed": seed, "fwhm": fwhm, "field": "IQU".index(f),
                  "max_abs": float(np.abs(mp).max())}, mp, stride)
    np.random.seed(105)
    alms = hp.synalm(formula_pol_cls(9, edge=True), lmax=8, new=True)
    for f, a in zip("TEB", alms):
        save(f"synalm_pol_edge_{f}", "synalm-pol", {"lmax": 8, "seed": 105, "field": "TEB".index(f),
                                                      "max_abs": float(np.abs(a).max())}, a)

    # smoothing (map2alm iter 3, beam, alm2map; UNSEEN kept) of a map with UNSEEN pixels.
    mp = formula_map(16, 9, True)
    sm = hp.smoothing(mp, fwhm=0.1)
    save("smoothing_n16", "smoothing", {"nside": 16, "seed": 9, "fwhm": 0.1, "unseen": True,
                                        "max_abs": float(np.abs(sm[sm != hp.UNSEEN]).max())}, sm, 4)

    # Polarisation (pol=True): T, E, B alm from the formula with seeds s, s + 1, s + 2, and I, Q, U
    # maps likewise; one case per output field, stored strided; Q with UNSEEN
    # pixels in one case; mmax < lmax in one.
    for nside, lmax, mmax, s, stride in [(16, 47, 47, 11, 24), (16, 40, 20, 12, 24), (64, 191, 191, 13, 384),
                                         (256, 767, 767, 14, 6144)]:
        alms = [formula_alm(lmax, mmax, s + k) for k in range(3)]
        maps = hp.alm2map(alms, nside, lmax=lmax, mmax=mmax, pol=True)
        for f, mp in zip("IQU", maps):
            save(f"alm2map_pol_n{nside}_l{lmax}_m{mmax}_{f}", "alm2map-pol",
                 {"nside": nside, "lmax": lmax, "mmax": mmax, "seed": s, "field": "IQU".index(f),
                  "max_abs": float(np.abs(mp).max())}, mp, stride)
    # White T, E, B at nside 512: the polar rings, where the 1/s² form of the spin-2 functions
    # loses ~2e-11 for small m (first and last 40 pixels, and 40 around the equator).
    nside, lmax = 512, 1535
    rng = np.random.RandomState(15)
    alms = [gauss_alm(lmax, rng) for k in range(3)]
    maps = hp.alm2map(alms, nside, lmax=lmax, pol=True)
    npix = 12 * nside * nside
    pix = np.concatenate([np.arange(0, 40), np.arange(npix // 2 - 20, npix // 2 + 20), np.arange(npix - 40, npix)])
    for f, mp in zip("QU", maps[1:]):
        data = mp[pix].astype("<f8")
        data.tofile(os.path.join(out, f"alm2map_pol_polar_n512_{f}.f64"))
        cases.append({"name": f"alm2map_pol_polar_n512_{f}", "kind": "alm2map-pol-pixels",
                      "params": {"nside": nside, "lmax": lmax, "mmax": lmax, "seed": 15, "field": 1 + "QU".index(f),
                                 "max_abs": float(np.abs(mp).max())},
                      "file": f"alm2map_pol_polar_n512_{f}.f64", "length": int(data.size), "pixels": pix.tolist()})
    for nside, lmax, mmax, s, unseen, iters, stride in [(16, 47, 47, 21, False, (0, 3), 19), (16, 47, 47, 22, True, (3,), 19),
                                                         (16, 47, 30, 23, False, (1,), 19), (64, 191, 191, 24, False, (0, 3), 293),
                                                         (256, 767, 767, 25, False, (0,), 3067)]:
        maps = [formula_map(nside, s), formula_map(nside, s + 1, unseen), formula_map(nside, s + 2)]
        for it in iters:
            alms = hp.map2alm(maps, lmax=lmax, mmax=mmax, iter=it, pol=True)
            for f, a in zip("TEB", alms):
                save(f"map2alm_pol_n{nside}_l{lmax}_m{mmax}_s{s}_i{it}_{f}", "map2alm-pol",
                     {"nside": nside, "lmax": lmax, "mmax": mmax, "seed": s, "unseen": unseen, "iter": it,
                      "field": "TEB".index(f), "max_abs": float(np.abs(a).max())}, a, stride)

    # anafast of I, Q, U maps: the six spectra (TT, EE, BB, TE, EB, TB), one file per case with the
    # six rows (every stride-th l); one cross spectrum.
    for nside, lmax, s1, s2, it, stride in [(16, 47, 31, None, 3, 1), (16, 47, 31, 34, 3, 1), (64, 191, 37, None, 3, 2),
                                            (256, 767, 41, None, 0, 8)]:
        m1 = [formula_map(nside, s1 + k) for k in range(3)]
        m2 = None if s2 is None else [formula_map(nside, s2 + k) for k in range(3)]
        c = np.asarray(hp.anafast(m1, m2, lmax=lmax, iter=it, pol=True))
        save(f"anafast_pol_n{nside}_s{s1}_{s2}_i{it}", "anafast-pol",
             {"nside": nside, "lmax": lmax, "seed": s1, "seed2": s2, "iter": it,
              "max_abs": float(np.abs(c).max())}, c[:, ::stride].ravel(), 1)
        cases[-1]["stride"] = stride

    # smoothing of I, Q, U (pol=True), UNSEEN pixels in Q; every 12th / 192nd pixel.
    for nside, s, fwhm, stride in [(16, 51, 0.1, 12), (64, 52, 0.03, 192)]:
        maps = [formula_map(nside, s), formula_map(nside, s + 1, True), formula_map(nside, s + 2)]
        sm = hp.smoothing(maps, fwhm=fwhm, pol=True)
        for f, mp in zip("IQU", sm):
            save(f"smoothing_pol_n{nside}_{f}", "smoothing-pol",
                 {"nside": nside, "seed": s, "fwhm": fwhm, "field": "IQU".index(f),
                  "max_abs": float(np.abs(mp[mp != hp.UNSEEN]).max())}, mp, stride)

    # Pixel windows (healpy-data files) at l = 0, 1, 2, 3·nside − 1 and 4·nside, to check the
    # reader and healpy's truncation.
    for nside in (16, 256, 1024):
        t, p = hp.pixwin(nside, pol=True, lmax=4 * nside)
        idx = [0, 1, 2, 3 * nside - 1, 4 * nside]
        save(f"pixwin_n{nside}", "pixwin", {"nside": nside, "length": len(t), "default_length": len(hp.pixwin(nside))},
             np.concatenate([t[idx], p[idx]]))

    # Round trip map2alm(alm2map(alm)) at lmax = 2·nside: healpy's relative alm error (no file).
    for nside in (16, 32):
        lmax = 2 * nside
        alm = formula_alm(lmax, lmax, 7)
        m = hp.alm2map(alm, nside, lmax=lmax)
        for it in (0, 3):
            back = hp.map2alm(m, lmax=lmax, iter=it)
            err = float(np.abs(back - alm).max() / np.abs(alm).max())
            cases.append({"name": f"roundtrip_n{nside}_i{it}", "kind": "roundtrip",
                          "params": {"nside": nside, "lmax": lmax, "seed": 7, "iter": it, "rel_err": err},
                          "file": None, "length": 0})

    manifest = {"healpy": hp.__version__, "numpy": np.__version__, "generator": "scripts/goldens/sht.py",
                "cases": cases}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
