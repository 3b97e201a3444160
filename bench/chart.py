"""Draws bench/chart.png from bench/out/results.json: for each scenario, blit's
median time as a fraction of each other tool's (below 1: blit is faster).

Usage: chart.py RESULTS_JSON OUTPUT_PNG
"""
import json
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

results = json.load(open(sys.argv[1]))
# blit against other tools only: the progress scenarios are blit against itself.
scenarios = [s for s in results["scenarios"] if len(s["rows"]) > 1 and not s["name"].startswith("progress-")]
for s in scenarios:
    s["rows"] = [r for r in s["rows"] if not r.get("reference")]
fig, axes = plt.subplots(len(scenarios), 1, figsize=(8, 1.1 + 0.42 * sum(len(s["rows"]) - 1 for s in scenarios) + 0.5 * len(scenarios)), squeeze=False)
for ax, scenario in zip(axes[:, 0], scenarios):
    rows = scenario["rows"]
    blit = statistics.median(rows[0]["cold"])
    others = [r for r in rows[1:] if not r["failed"]]
    names = [r["tool"] for r in others]
    ratios = [blit / statistics.median(r["cold"]) for r in others]
    colors = ["#2a7" if x <= 1 else "#c44" for x in ratios]
    ax.barh(names, ratios, color=colors)
    ax.axvline(1, color="#333", linewidth=1)
    ax.invert_yaxis()
    for y, x in enumerate(ratios):
        ax.text(x, y, f" {x:.2f}", va="center", fontsize=8)
    ax.set_title(f"{scenario['name']}: {scenario['describe']}", fontsize=9, loc="left")
    ax.tick_params(labelsize=8)
    ax.set_xlim(0, max(1.2, max(ratios) * 1.15))
axes[-1, 0].set_xlabel("blit's median time ÷ the tool's (cold caches; below 1 = blit faster)", fontsize=8)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
