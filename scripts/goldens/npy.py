#!/usr/bin/env python3
"""Golden files for cmbflow's numpy-format handlers, written by numpy itself.

Run from the repository root with the reference interpreter (numpy 1.24 was used):

    /usr/bin/python3 scripts/goldens/npy.py

Writes, under test/fixtures/handlers/:
  npy/*.npy       arrays saved with np.save (NumpyMap / NumpyPowerSpectrum goldens)
  savetxt/*.txt   arrays saved with np.savetxt(path, arr) defaults (TextPowerSpectrum goldens)
  numpy-goldens.json
                  for every file: dtype, shape, whether it is Fortran-ordered, and the values in
                  C order as strings (Python repr of the float64 value, so they parse exactly;
                  'nan', 'inf', '-inf', '-0.0' included).
The output is deterministic (fixed seeds), so re-running it changes nothing unless numpy does.
"""
import json
import os
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "handlers")
NPY = os.path.join(ROOT, "npy")
TXT = os.path.join(ROOT, "savetxt")


def values(arr):
    flat = np.ascontiguousarray(arr).reshape(-1)
    return [repr(float(v)) for v in flat]


def main():
    os.makedirs(NPY, exist_ok=True)
    os.makedirs(TXT, exist_ok=True)
    manifest = {"numpy": np.__version__, "npy": {}, "savetxt": {}}
    rng = np.random.default_rng(20240611)

    special = [0.0, -0.0, 1.0, -2.5, 1e-300, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
               float("nan"), float("inf"), float("-inf"), 0.1, 1.0 / 3.0, -123456.789]
    arrays = {
        "f8_1d": np.array(special, dtype="<f8"),
        "f4_1d": np.array([0.1, -1.5, 3.4028235e38, 1e-45, float("nan"), float("inf"), 1.0 / 3.0], dtype="<f4"),
        "f8_2d": (np.arange(6, dtype="<f8").reshape(2, 3) * 0.25 - 1.0),
        "f4_3d": np.arange(24, dtype="<f4").reshape(2, 3, 4) / np.float32(7.0),
        "f8_empty": np.zeros((0,), dtype="<f8"),
        "f8_scalar": np.array(2.718281828459045, dtype="<f8"),
        "f8_map_nside8": rng.normal(size=12 * 8 * 8).astype("<f8"),
        "f4_map_nside8": rng.normal(size=12 * 8 * 8).astype("<f4"),
        "f8_ndim14": np.full((1,) * 14, 4.0, dtype="<f8"),
        "f8_ndim15": np.full((1,) * 15, 5.0, dtype="<f8"),
    }
    read_only = {
        "f8_fortran": np.asfortranarray(np.arange(12, dtype="<f8").reshape(3, 4) + 0.5),
        "f4_fortran_3d": np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4)),
        "f8_big_endian": np.array([1.5, -2.0, 1e-300], dtype=">f8"),
        "f4_big_endian": np.array([1.5, -2.0, 0.1], dtype=">f4"),
        "i4": np.array([0, -1, 2147483647, -2147483648], dtype="<i4"),
        "i8": np.array([0, -1, 2**53, -(2**53)], dtype="<i8"),
    }
    for name, arr in list(arrays.items()) + list(read_only.items()):
        path = os.path.join(NPY, name + ".npy")
        np.save(path, arr)
        manifest["npy"][name] = {
            "file": "npy/" + name + ".npy",
            "descr": arr.dtype.str,
            "shape": list(arr.shape),
            "fortran": bool(arr.flags.f_contiguous and not arr.flags.c_contiguous),
            "writable": name in arrays,
            "values": values(arr),
        }

    # Ties at the 19th significant digit (x = 1 + odd·2^-19 has exactly 20 significant digits,
    # the last a 5): C rounds them half to even, JavaScript's toExponential half away from zero.
    ties = [1 + k * 2.0**-19 for k in (1, 3, 5, 7, 9, 11)] + [5 + 7 * 2.0**-19, 9.5 + 2.0**-19]
    one_col = np.array(special + ties + list(rng.normal(size=40) * 10.0 ** rng.integers(-30, 30, size=40)))
    two_col = np.column_stack([np.arange(2, 12, dtype=float), 1e-10 / np.arange(2, 12), -np.arange(2, 12) ** 0.5])
    for name, arr in {"one_col": one_col, "three_col": two_col, "f4_col": np.array([0.1, 1.5, -3.25], dtype=np.float32)}.items():
        path = os.path.join(TXT, name + ".txt")
        np.savetxt(path, arr)
        manifest["savetxt"][name] = {
            "file": "savetxt/" + name + ".txt",
            "shape": list(arr.shape),
            "values": values(arr),
        }

    with open(os.path.join(ROOT, "numpy-goldens.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print("wrote", len(manifest["npy"]), "npy and", len(manifest["savetxt"]), "savetxt goldens to", os.path.normpath(ROOT))


if __name__ == "__main__":
    sys.exit(main())
