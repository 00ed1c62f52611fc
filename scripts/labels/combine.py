#!/usr/bin/env python3
"""Join two readers' independent passes into the labelled corpus, and print their agreement.

``python scripts/labels/combine.py WORKDIR OUT.csv``: WORKDIR holds ``split.csv`` (from
``prepare.py``) and the readers' ``pass-A.csv`` and ``pass-B.csv``. Where the readers agree the
label stands; where they disagree it is recorded as ``maybe`` with both readings in the note.
Cohen's kappa is printed for the whole set and for each part.
"""

import csv
import sys
from collections import Counter
from pathlib import Path

L = ("yes", "maybe", "no")
PUBLISHERS = (
    ("find_a_tender", "find_a_tender"),
    ("contracts_finder", "contracts_finder"),
    ("pcs", "public_contracts_scotland"),
    ("s2w", "sell2wales"),
    ("sell2wales", "sell2wales"),
)


def publisher(fixture):
    """The publisher a fixture's notices come from, by its folder or file name."""
    name = fixture.split("/")[-1] if fixture.startswith("released-") else fixture
    for prefix, source in PUBLISHERS:
        if name.startswith(prefix) or fixture.startswith(prefix) or f"/{prefix}" in fixture:
            return source
    return "unknown"


def read(p):
    with open(p, newline="") as fh:
        return {
            (r["id"].strip(), r["fixture"].strip()): (
                r["label"].strip().lower(),
                r.get("note", "").strip(),
            )
            for r in csv.DictReader(fh)
        }


work = Path(sys.argv[1])
a, b = read(work / "pass-A.csv"), read(work / "pass-B.csv")
split = {}
with open(work / "split.csv") as fh:
    seed_line = fh.readline().strip()
    for r in csv.DictReader(fh):
        split[(r["id"], r["fixture"])] = r["part"]
missing = [k for k in split if k not in a or k not in b]
extra = [k for k in list(a) + list(b) if k not in split]
print("missing:", len(missing), missing[:5], "extra:", len(extra), extra[:5])
keys = [k for k in split if k in a and k in b]
n = len(keys)
agree = sum(a[k][0] == b[k][0] for k in keys)
pa, pb = Counter(a[k][0] for k in keys), Counter(b[k][0] for k in keys)
pe = sum(pa[c] * pb[c] for c in L) / (n * n)
po = agree / n
kappa = (po - pe) / (1 - pe)
print(f"n={n} agreement={po:.3f} kappa={kappa:.3f} A={dict(pa)} B={dict(pb)}")
for part in ("design", "blind"):
    ks = [k for k in keys if split[k] == part]
    m = len(ks)
    ag = sum(a[k][0] == b[k][0] for k in ks)
    qa, qb = Counter(a[k][0] for k in ks), Counter(b[k][0] for k in ks)
    pe2 = sum(qa[c] * qb[c] for c in L) / (m * m)
    print(f"  {part}: n={m} agreement={ag / m:.3f} kappa={(ag / m - pe2) / (1 - pe2):.3f}")
conf = Counter((a[k][0], b[k][0]) for k in keys)
print("confusion (A,B):", dict(conf))
out = sys.argv[2]
final = Counter()
with open(out, "w", newline="") as fh:
    fh.write(
        f"# Two independent passes by the rubric in RUBRIC.md; agreement {po:.3f}, "
        f"Cohen's kappa {kappa:.2f} over {n} open processes; disagreements recorded as maybe.\n"
    )
    fh.write(f"{seed_line}\n")
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["id", "label", "note", "fixture", "part", "source"])
    for k in sorted(keys, key=lambda k: (split[k] == "blind", k[1], k[0])):
        (la, na), (lb, nb) = a[k], b[k]
        if la == lb:
            label, note = la, na or nb
        else:
            label, note = "maybe", f"readers disagreed: {la} ({na}) / {lb} ({nb})"
        final[(split[k], label)] += 1
        w.writerow([k[0], label, note, k[1], split[k], publisher(k[1])])
print("final:", dict(final))
