#!/usr/bin/python3
"""Golden FITS files for test/fits, written by healpy (and astropy for layouts healpy does not write).

Usage: /usr/bin/python3 scripts/goldens/fits.py [OUTDIR]   (default test/fixtures/fits)

Deterministic: the map data come from closed formulas that test/fits/golden-data.ts evaluates
identically (IEEE double arithmetic, then a cast), and gzip files are written with mtime 0.
Writes OUTDIR/goldens.json, a manifest of every case: how to rebuild its input in TypeScript,
the options passed to healpy, and the SHA-256 and size of healpy's output. Small outputs are
also stored (gzip-compressed unless named *.fits); nside-32 outputs are checked by hash only,
to keep the fixtures small.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import warnings

import numpy as np
import healpy as hp
import astropy
from astropy.io import fits

warnings.simplefilter("ignore")  # healpy prints/warns about dtypes; not needed here

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join("test", "fixtures", "fits")
PHI = 0.6180339887498949


def data(kind, npix, k):
    """The formula map `k` of type `kind` (must match golden-data.ts)."""
    i = np.arange(npix, dtype=np.int64)
    if kind in ("float32", "float64"):
        v = (i.astype(np.float64) * PHI + k * 0.1) % 1 * 200 - 100
        v[5 % npix] = -0.0
        v[6 % npix] = hp.UNSEEN
        return v.astype(kind)
    if kind == "int16":
        return ((i * 37 + k * 11) % 30000 - 15000).astype(np.int16)
    if kind == "int32":
        return (i * 100003 + k * 7 - 500000000).astype(np.int32)
    if kind == "int64":
        return (i * 1000000007 + k - 2**40).astype(np.int64)
    if kind == "uint8":
        return ((i * 7 + k) % 251).astype(np.uint8)
    raise ValueError(kind)


def seen(npix):
    """Pixels kept in partial-sky cases (RING numbering)."""
    i = np.arange(npix)
    return (i % 3 == 0) & (i >= 200)


def json_value(v):
    if isinstance(v, bool) or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    return {"real": v}


def camel(options):
    names = {"nest": "nest", "coord": "coord", "column_names": "columnNames", "column_units": "columnUnits",
             "dtype": "dtype", "partial": "partial", "extra_header": "extraHeader", "fits_IDL": "fitsIdl"}
    out = {}
    for k, v in options.items():
        if k == "extra_header":
            v = [[c[0], json_value(c[1])] + list(c[2:]) for c in v]
        out[names[k]] = v
    return out


def save(name, raw, store):
    """Stores healpy's output (plain or gzip) when `store` and returns the manifest fields."""
    entry = {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)}
    if store:
        fname = name + (".fits" if store == "plain" else ".fits.gz")
        payload = raw if store == "plain" else gzip.compress(raw, compresslevel=9, mtime=0)
        with open(os.path.join(OUT, fname), "wb") as f:
            f.write(payload)
        entry["file"] = fname
    return entry


def healpy_bytes(write, *args, **kwargs):
    tmp = os.path.join(OUT, ".tmp.fits")
    write(tmp, *args, overwrite=True, **kwargs)
    with open(tmp, "rb") as f:
        raw = f.read()
    os.remove(tmp)
    return raw


EXTRA = [
    ("FOO", "bar", "a comment"),
    ("NUM", 3),
    ("NEG", -5, "negative"),
    ("FL", 1.5, "x"),
    ("R1", 1.0),
    ("SMALL", 1e-10),
    ("BIG", 1.2345678901234567e300),
    ("THIRD", 1 / 3),
    ("T", True),
    ("F", False, "false"),
    ("EMPTY", ""),
    ("QUOTE", "it's"),
    ("LONGSTR", "word " * 30),
    ("LONGC", "y" * 100, "comm"),
    ("COMMENT", "z" * 100),
    ("HISTORY", "made by scripts/goldens/fits.py"),
    ("EXTNAME", "MAP", "renamed"),
    ("lower", 7),
    ("AFTER", 2.5e-5, "goes before the COMMENT cards"),
]

MAP_CASES = [
    # name, nside, [(kind, k)], healpy options, store ("plain" | "gz" | None), extra flags
    ("map-e-n8", 8, [("float32", 0)], {}, "plain", {}),
    ("map-d-n8", 8, [("float64", 0)], {}, "gz", {}),
    ("map-e3-n8-units", 8, [("float32", k) for k in range(3)], {"column_units": "uK"}, "gz", {}),
    ("map-d3-n8-nest-g", 8, [("float64", k) for k in range(3)],
     {"nest": True, "coord": "G", "column_names": ["I", "Q", "U"], "column_units": ["K", None, "mK"]}, "gz", {}),
    ("map-e3-n8-nested", 8, [("float32", k) for k in range(3)], {"nest": True}, "gz", {"reorder": "r2n"}),
    ("map-e-n16", 16, [("float32", 0)], {}, "gz", {}),
    ("map-i-n8", 8, [("int16", 0)], {}, "gz", {}),
    ("map-j-n8", 8, [("int32", 0)], {}, "gz", {}),
    ("map-k-n8", 8, [("int64", 0)], {}, "gz", {}),
    ("map-b-n8", 8, [("uint8", 0)], {}, "gz", {}),
    ("map-d-n8-as-e", 8, [("float64", 1)], {"dtype": "float32"}, None, {}),
    ("map-e-n8-extra", 8, [("float32", 0)], {"coord": "E", "extra_header": EXTRA}, "gz", {}),
    ("map-partial-n16", 16, [("float32", 0), ("float32", 1)], {"partial": True}, "gz", {"mask": True}),
    ("map-partial-n16-nested", 16, [("float64", 0)], {"partial": True, "nest": True}, "gz",
     {"mask": True, "reorder": "r2n"}),
    ("map-mixed-n16", 16, [("float32", 0), ("float64", 1), ("int16", 2)], {}, None, {}),
    ("map-ed-n16-no-idl", 16, [("float32", 0), ("float64", 1)], {"fits_IDL": False}, None, {}),
    ("map-partial-n16-mixed", 16, [("float64", 0), ("int32", 1)], {"partial": True}, None, {"mask": True}),
    ("map-e-n32", 32, [("float32", 0)], {}, None, {}),
    ("map-d-n32", 32, [("float64", 0)], {}, None, {}),
    ("map-e3-n32-units", 32, [("float32", k) for k in range(3)], {"column_units": ["uK", "uK", "uK"]}, None, {}),
    ("map-d3-n32-nest-g", 32, [("float64", k) for k in range(3)],
     {"nest": True, "coord": "G", "column_names": ["I_STOKES", "Q_STOKES", "U_STOKES"]}, None, {}),
    ("map-e-n32-extra", 32, [("float32", 2)], {"coord": "C", "extra_header": EXTRA}, None, {}),
]

CL_CASES = [
    # name, [(kind, k)], length, store
    ("cl-6", [("float64", k) for k in range(6)], 41, "gz"),
    ("cl-3", [("float64", k) for k in range(3)], 97, None),
    ("cl-1-e", [("float32", 0)], 33, "gz"),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {
        "generator": "scripts/goldens/fits.py",
        "healpy": hp.__version__, "numpy": np.__version__, "astropy": astropy.__version__,
        "maps": [], "cls": [], "other": [],
    }
    for name, nside, maps, options, store, flags in MAP_CASES:
        npix = 12 * nside * nside
        arrays = [data(kind, npix, k) for kind, k in maps]
        if flags.get("mask"):
            keep = seen(npix)
            arrays = [np.where(keep, a, hp.UNSEEN).astype(a.dtype) if j == 0 else a for j, a in enumerate(arrays)]
        if flags.get("reorder") == "r2n":
            arrays = [hp.reorder(a, r2n=True).astype(a.dtype) for a in arrays]
        hp_options = dict(options)
        if "dtype" in hp_options:
            hp_options["dtype"] = np.dtype(hp_options["dtype"])
        raw = healpy_bytes(hp.write_map, arrays if len(arrays) > 1 else arrays[0], **hp_options)
        entry = {"name": name, "nside": nside, "maps": [{"kind": kd, "k": k} for kd, k in maps],
                 "options": camel(options), **flags, **save(name, raw, store)}
        manifest["maps"].append(entry)

    for name, cls, n, store in CL_CASES:
        arrays = [data(kind, n, k) for kind, k in cls]
        raw = healpy_bytes(hp.write_cl, arrays if len(arrays) > 1 else arrays[0])
        manifest["cls"].append({"name": name, "length": n, "spectra": [{"kind": kd, "k": k} for kd, k in cls],
                                **save(name, raw, store)})

    # HEALPix Fortran-style spectra: ASCII table, E15.7 columns (written by astropy: healpy never writes these).
    n = 31
    cols = [fits.Column(name=nm, format="E15.7", array=data("float64", n, k))
            for k, nm in enumerate(["TEMPERATURE", "GRADIENT", "CURL", "G-T"])]
    tab = fits.TableHDU.from_columns(cols)
    tab.header["EXTNAME"] = "POWER SPECTRUM"
    tab.header["CREATOR"] = "anafast-like"
    buf = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), tab]).writeto(buf)
    manifest["other"].append({"name": "cl-ascii", "length": n, "spectra": [{"kind": "float64", "k": k} for k in range(4)],
                              **save("cl-ascii", buf.getvalue(), "plain")})

    # TSCAL/TZERO offsets and other column types in a map table, crafted by hand following the FITS
    # standard (astropy rescales such columns on write): stored = (physical - TZERO) / TSCAL.
    npix = 12 * 8 * 8
    i = np.arange(npix, dtype=np.int64)
    rows = np.zeros(npix, dtype=[("U16", ">i2"), ("U32", ">i4"), ("SCALED", ">i2"), ("I8", "u1"), ("FLAG", "S1")])
    rows["U16"] = (i * 97 + 30000) % 65536 - 32768          # physical uint16 = stored + 32768
    rows["U32"] = (i * 1000003 + 2**31) % 2**32 - 2**31     # physical uint32 = stored + 2^31
    rows["SCALED"] = (i * 37) % 30000 - 15000               # physical = 0.5 * stored + 10
    rows["I8"] = i % 256                                    # physical int8 = stored - 128
    rows["FLAG"] = np.where(i % 3 == 0, b"T", b"F")
    hdr = fits.Header()
    cards = [("XTENSION", "BINTABLE"), ("BITPIX", 8), ("NAXIS", 2), ("NAXIS1", rows.dtype.itemsize),
             ("NAXIS2", npix), ("PCOUNT", 0), ("GCOUNT", 1), ("TFIELDS", 5),
             ("TTYPE1", "U16"), ("TFORM1", "I"), ("TZERO1", 32768),
             ("TTYPE2", "U32"), ("TFORM2", "J"), ("TZERO2", 2**31),
             ("TTYPE3", "SCALED"), ("TFORM3", "I"), ("TSCAL3", 0.5), ("TZERO3", 10.0),
             ("TTYPE4", "I8"), ("TFORM4", "B"), ("TZERO4", -128),
             ("TTYPE5", "FLAG"), ("TFORM5", "L"),
             ("PIXTYPE", "HEALPIX"), ("ORDERING", "RING"), ("NSIDE", 8), ("INDXSCHM", "IMPLICIT")]
    for key, value in cards:
        hdr.append((key, value))
    body = rows.tobytes()
    raw = (fits.PrimaryHDU().header.tostring().encode() + hdr.tostring().encode() + body
           + b"\0" * (-len(body) % 2880))
    manifest["other"].append({"name": "map-scaled-n8", **save("map-scaled-n8", raw, "gz")})

    with open(os.path.join(OUT, "goldens.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
