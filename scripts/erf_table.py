"""Prints the piecewise polynomial table of models' Erf.java: erf on [0, 4) in 16 intervals of 1/4, a
degree-9 polynomial in (x - left end) per interval, fitted in float64 on Chebyshev nodes. Run:
python3 scripts/erf_table.py (needs numpy); it also prints the table's largest error against math.erf."""
import math
import numpy as np

INTERVALS, WIDTH, DEGREE = 16, 0.25, 9

rows = []
worst = 0.0
for i in range(INTERVALS):
    a = i * WIDTH
    nodes = a + WIDTH / 2 * (1 - np.cos(np.pi * (np.arange(64) + 0.5) / 64))
    values = np.array([math.erf(x) for x in nodes])
    coefficients = np.polynomial.polynomial.polyfit(nodes - a, values, DEGREE)
    check = np.linspace(a, a + WIDTH, 2001)
    fitted = np.polynomial.polynomial.polyval(check - a, coefficients)
    worst = max(worst, max(abs(fitted[k] - math.erf(check[k])) for k in range(len(check))))
    rows.append(coefficients)
for c in rows:
    print("            {" + ", ".join(repr(float(v)) for v in c) + "},")
print("// largest error", worst)
