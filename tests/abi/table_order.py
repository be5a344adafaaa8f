#!/usr/bin/env python3
"""abi_table_order: struct tlsplug_api is append-only, and abi/gen.py says so.

  table_order.py            (from anywhere; finds the checkout from its path)

1. The registry's table holds every slot recorded in
   abi/baseline/api_table.txt, unchanged (abi/gen.py --table-only).
2. The guard itself works: copies of the registry in which a released
   function moved to another slot, swapped slots with another, left the
   registry, or changed its type are each refused; one with a new function
   appended at the next slot is accepted. A guard that silently accepted a
   moved slot would let a host call the wrong function.
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "abi", "gen.py")
REGISTRY = os.path.join(ROOT, "abi", "tlsplug.toml")
BASELINE = os.path.join(ROOT, "abi", "baseline", "api_table.txt")

failed = 0


def gen(registry):
    r = subprocess.run([sys.executable, GEN, "--table-only", "--registry", registry,
                        "--table-baseline", BASELINE], capture_output=True, text=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).strip()


def expect(label, text, accepted, must_say=None):
    global failed
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(text)
    try:
        rc, out = gen(f.name)
    finally:
        os.unlink(f.name)
    ok = (rc == 0) == accepted and (must_say is None or must_say in out)
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {label}: {'accepted' if rc == 0 else 'refused'}"
          + (f" ({out.splitlines()[-1].strip()})" if out else ""))


def slot_of(text, name):
    m = re.search(r'name = "%s"\nslot = (\d+)\n' % re.escape(name), text)
    return int(m.group(1))


def set_slot(text, name, slot):
    return re.sub(r'(name = "%s"\nslot = )\d+\n' % re.escape(name), lambda m: f"{m.group(1)}{slot}\n", text)


def main():
    with open(REGISTRY, encoding="utf-8") as f:
        reg = f.read()
    with open(BASELINE, encoding="utf-8") as f:
        released = [l.split() for l in f if l.strip() and not l.startswith("#")]
    if len(released) < 3:
        print(f"FAIL {BASELINE} records {len(released)} slots: nothing to guard")
        return 1
    a, b = released[1][1], released[2][1]  # two released functions
    nslots = len(re.findall(r"^slot = \d+$", reg, re.M))

    expect("the registry as committed", reg, True)
    expect(f"{a} and {b} swap slots", set_slot(set_slot(reg, a, slot_of(reg, b)), b, slot_of(reg, a)),
           False, "append-only")
    expect(f"{a} moves to the end", set_slot(reg, a, nslots), False)
    block = re.search(r'\[\[function\]\]\nname = "%s"\n.*?(?=\n\[\[function\]\]|\Z)' % re.escape(b), reg, re.S)
    expect(f"{b} leaves the registry", reg.replace(block.group(0), ""), False)
    victim = released[-1][1]
    retyped = re.sub(r'(name = "%s"\n.*?params = \[\n)' % re.escape(victim),
                     lambda m: m.group(1) + '  { name = "extra", type = "int" },\n', reg, count=1, flags=re.S)
    expect(f"{victim} gains a parameter", retyped, False, "changed its type")
    appended = reg.rstrip() + f'''

[[function]]
name = "tlsplug_table_order_probe"
slot = {nslots}
group = "library"
returns = "int"
doc = "A function appended by the test."
params = []
'''
    expect("a new function at the next slot", appended, True)
    expect("a new function without a slot", appended.replace(f"slot = {nslots}\ngroup", "group"), False,
           f"slot = {nslots}")
    print(f"{7 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
