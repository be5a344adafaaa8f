#!/usr/bin/env python3
"""The README's performance tables from a `run --json` file.

  tests/bench/tables.py BENCH.json

Prints two Markdown tables: the in-memory section (the pump against raw
GnuTLS) and the loopback TCP section (every system against raw GnuTLS over
TCP), each figure the run's median with its ratio to the section's
baseline. A system the run did not measure shows "n/a". Paste the output
under "Performance" in README.md; the prose around it (targets, what bounds
them) is written by hand.
"""
import json
import sys

NAMES = {
    "raw": "raw GnuTLS", "pump": "**tlsplug pump**", "raw-tcp": "raw GnuTLS",
    "loop": "**tlsplug loop**", "node": "Node.js tls", "pyssl": "Python ssl",
    "py-tlsplug": "Python tlsplug", "go": "Go crypto/tls", "go-tlsplug": "Go tlsplug",
    "rbssl": "Ruby OpenSSL", "rb-tlsplug": "Ruby tlsplug",
}
# (a word of the workload's name, metric, column). The fleet's resumptions
# by session ID ("resumed TLS 1.2 id, ...", loop only) are not the ticket row.
RATES = [("bulk", "MB/CPU-s", "bulk MB/CPU-s"), ("ECDSA", "hs/CPU-s", "ECDSA hs/CPU-s"),
         ("RSA", "hs/CPU-s", "RSA hs/CPU-s"), ("(ticket)", "hs/CPU-s", "resumed hs/CPU-s")]


def index(results):
    """(section, workload keyword, metric, system) -> result."""
    out = {}
    for r in results:
        for key, metric, _ in RATES:
            if r["workload"].startswith("bulk") and key == "bulk" or key in r["workload"]:
                if r["metric"] == metric:
                    out[(r["section"], key, metric, r["system"])] = r
        if r["workload"].startswith("idle"):
            out[(r["section"], "mem", r["metric"], r["system"])] = r
    return out


def rate(ix, section, key, metric, system, base):
    r = ix.get((section, key, metric, system))
    if not r or r.get("median") is None:
        return "n/a"
    text = f"{r['median']:.0f}"
    return text if system == base else f"{text} ({r['ratio_to_baseline']:.2f})"


def mem(ix, section, kind, system):
    pair = []
    for side in ("client", "server"):
        r = ix.get((section, "mem", f"{side} {kind} KiB/conn", system))
        pair.append("n/a" if not r or r.get("median") is None else f"{r['median']:.1f}")
    return " / ".join(pair) + " KiB"


def table(ix, section, systems, base, rss):
    head = ["system"] + [t for _, _, t in RATES] + ["idle heap client / server"]
    if rss:
        head.append("idle RSS client / server")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in systems:
        row = [NAMES.get(s, s)] + [rate(ix, section, k, m, s, base) for k, m, _ in RATES]
        row.append(mem(ix, section, "heap", s))
        if rss:
            row.append(mem(ix, section, "RSS", s))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        d = json.load(f)
    ix = index(d["results"])
    seen = {r["system"] for r in d["results"]}
    tcp = [s for s in ("raw-tcp", "loop", "node", "pyssl", "py-tlsplug", "go", "go-tlsplug",
                       "rbssl", "rb-tlsplug") if s in seen]
    print(f"Measured {d['time'][:10]} ({d['mode']} mode, {d['runs']} runs, {d['cpus']} CPUs).\n")
    print("In memory (× raw GnuTLS in memory):\n")
    print(table(ix, "mem", [s for s in ("raw", "pump") if s in seen], "raw", False))
    print("\nOver loopback TCP (per CPU-second of both ends; × raw GnuTLS over TCP):\n")
    print(table(ix, "tcp", tcp, "raw-tcp", True))


if __name__ == "__main__":
    main()
