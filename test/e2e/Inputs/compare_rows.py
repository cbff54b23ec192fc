#!/usr/bin/env python3
"""compare_rows.py ALL.npy ROW ONE.npy TOL: row ROW of ALL ([rows, n] f32)
and the single row of ONE ([1, n]) agree within TOL times ALL's largest
magnitude; prints the difference, exits 1 otherwise. Standard library only."""
import sys

from compare_logits import read_npy


def main():
    (rows, n), full = read_npy(sys.argv[1])
    row = int(sys.argv[2])
    (one, n2), got = read_npy(sys.argv[3])
    tol = float(sys.argv[4])
    assert one == 1 and n == n2, ((rows, n), (one, n2))
    ref = full[row * n:(row + 1) * n]
    scale = max(abs(v) for v in full)
    diff = max(abs(a - b) for a, b in zip(ref, got))
    print(f"row {row}: max difference {diff:.3e} of {scale:.3e}")
    return 0 if diff <= tol * scale else 1


if __name__ == "__main__":
    sys.exit(main())
