"""Reference side of Benchmarks/report.sh: PPI++ (ppi-python's ppi_mean_ci, power-tuned) on the
same simulated runs as `labelaudit-bench noise-bench --dump`: the queue's top K faces are known, a
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


def issues(path):
    """The issues CSV's is_label_issue against cleanlab's find_label_issues (confident learning)
    on the same pooled probabilities (rebuilt from label_score and given_label)."""
    import pandas as pd
    from cleanlab.filter import find_label_issues
    frame = pd.read_csv(path, keep_default_na=False)
    frame = frame[frame["label_score"] != ""]
    given = frame["given_label"].astype(int).to_numpy()
    score = frame["label_score"].astype(float).to_numpy()
    p1 = np.where(given == 1, score, 1 - score)
    theirs = find_label_issues(given, np.stack([1 - p1, p1], axis=1), filter_by="confident_learning")
    ours = frame["is_label_issue"].astype(str).to_numpy() == "True"
    both = int((ours & theirs).sum())
    print(f"issues CSV vs cleanlab find_label_issues on the same probabilities: ours {ours.sum()}, cleanlab {theirs.sum()}, "
          f"both {both}, only ours {int((ours & ~theirs).sum())}, only cleanlab {int((~ours & theirs).sum())}: "
          + ("PASS (same set)" if (ours == theirs).all() else "DIFFERENT"))


if __name__ == "__main__":
    if sys.argv[1] == "issues":
        issues(sys.argv[2])
    else:
        main(sys.argv[1])
