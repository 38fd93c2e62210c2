"""Reference side of Benchmarks/report.sh: PPI++ (ppi-python's ppi_mean_ci, power-tuned) on the
same simulated runs as `labelaudit noise-bench --dump`: the queue's top K faces are known, a
uniform sample of the rest is reviewed, and PPI++ estimates the wrong-label share of the rest
from the sample's verdicts and the calibrated predictions on every face. Prints the same columns
as noise-bench, with the true share beside the mean estimate."""
import json
import sys

import numpy as np
from ppi_py import ppi_mean_ci


def main(path):
    budgets = json.load(open(path))
    for b in budgets:
        in_queue = np.array(b["inQueue"])
        wrong = np.array(b["wrong"], dtype=float)
        predicted = np.array(b["predicted"], dtype=float)
        n = len(wrong)
        rest = np.where(~in_queue)[0]
        known = wrong[in_queue].sum()
        truth = b["trueShare"]
        covered, widths, estimates = 0, [], []
        for run in b["runs"]:
            rows = np.array([r for r in run["uniformRows"] if not in_queue[r]])
            if len(rows) < 2:
                continue
            low, high = ppi_mean_ci(wrong[rows], predicted[rows], predicted[rest], alpha=0.05)
            low, high = float(np.ravel(low)[0]), float(np.ravel(high)[0])
            lo = (known + len(rest) * max(0.0, low)) / n
            hi = (known + len(rest) * min(1.0, high)) / n
            covered += lo <= truth <= hi
            widths.append(hi - lo)
            estimates.append((lo + hi) / 2)
        runs = len(widths)
        label = f"{b['queue']}+{b['sample']}"
        print(f"{label:<10}{'uniform':<10}{'PPI++ (ppi-python)':<19}{runs:4d}  {100 * np.mean(estimates):12.3f}%  "
              f"{100 * truth:9.3f}%  {100 * covered / runs:7.1f}%  {100 * np.mean(widths):9.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
