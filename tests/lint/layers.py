#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The rooms of DESIGN.md section 2, checked over every include line.

1. A file includes headers of its own room and of the rooms below it only
   (the table ROOMS); in client/ and hookkit/ only crypto's secure memory.
2. No include reaches outside its room by a relative path ("../").
3. No file calls into a file that calls back into it: with an edge from
   a.c to b.c when a.c (or a.h) includes b.h, the graph has no cycle.

The build enforces rule 1 too (per-room include folders); this check
also covers files the build does not compile and says which line is
wrong.  Usage: layers.py SOURCE_DIR.  Exit 0 when all holds, 1 otherwise.
"""
import os
import re
import sys

# room: the rooms its files may include besides their own.
ROOMS = {
    "base": [],
    "crypto": ["base"],
    "vault": ["crypto", "base"],
    "hooks": ["vault", "crypto", "base"],
    "hookkit": ["crypto", "base"],
    "libexec": ["hookkit", "crypto", "base"],
    "client": ["crypto", "base"],
    "agent/jobs": ["hooks", "vault", "crypto", "base"],
    "agent/broker": ["agent/jobs", "client", "hooks", "vault", "crypto",
                     "base"],
    "agent/transport": ["agent/broker", "agent/jobs", "client", "hooks",
                        "vault", "crypto", "base"],
    "cli": ["agent/transport", "agent/broker", "agent/jobs", "client",
            "hooks", "vault", "crypto", "base"],
}
# Rooms that sit beside the layers and take only locked memory from crypto.
CRYPTO_SECMEM_ONLY = {"client", "hookkit", "libexec"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def room_of(path):
    """The room of a repository-relative path, or None."""
    best = None
    for room in ROOMS:
        if path.startswith(room + "/") and (best is None or
                                            len(room) > len(best)):
            best = room
    return best


def main(src):
    files = []
    for room in ROOMS:
        top = os.path.join(src, room)
        for dirpath, dirnames, names in os.walk(top):
            rel_dir = os.path.relpath(dirpath, src)
            if rel_dir != room and room_of(rel_dir + "/x") != room:
                continue  # a nested room walks itself
            files += [os.path.join(rel_dir, n) for n in names
                      if n.endswith((".c", ".h"))]
    problems = []
    edges = {}
    for f in sorted(set(files)):
        room = room_of(f)
        allowed = set(ROOMS[room]) | {room}
        unit = f[:-2]
        with open(os.path.join(src, f), encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(1)
                if ".." in inc.split("/"):
                    problems.append("%s:%d: relative include \"%s\"" %
                                    (f, n, inc))
                    continue
                target = room_of(inc)
                if target is None:
                    if "/" in inc:
                        problems.append("%s:%d: \"%s\" is in no room" %
                                        (f, n, inc))
                    continue
                if target not in allowed:
                    problems.append("%s:%d: %s/ may not include %s/ "
                                    "(\"%s\")" % (f, n, room, target, inc))
                elif (target == "crypto" and room in CRYPTO_SECMEM_ONLY and
                      inc != "crypto/secmem.h"):
                    problems.append("%s:%d: %s/ takes only crypto/secmem.h "
                                    "from crypto/ (\"%s\")" %
                                    (f, n, room, inc))
                callee = inc[:-2]
                if (inc.endswith(".h") and callee != unit and
                        os.path.exists(os.path.join(src, callee + ".c"))):
                    edges.setdefault(unit, set()).add(callee)
    # A .c file's edges include its own header's.
    graph = {}
    for unit, out in edges.items():
        graph.setdefault(unit, set()).update(out)
    for f in files:
        if f.endswith(".c"):
            graph.setdefault(f[:-2], set())
    problems += find_cycles(graph)
    for p in problems:
        print("layers: " + p)
    print("layers: %d files, %d calls between files, %d problems" %
          (len(files), sum(len(v) for v in graph.values()), len(problems)))
    return 1 if problems else 0


def find_cycles(graph):
    """Tarjan's strongly connected components; each with >1 file is a
    circle of calls."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append("files call each other in a circle: " +
                           " -> ".join(sorted(c + ".c" for c in comp)))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
