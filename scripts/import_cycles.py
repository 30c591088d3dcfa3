"""Import circles among the package's modules (strongly connected groups of two or more), read
with grimp, the graph library import-linter uses. Prints each circle and the count.

Usage: PYTHONPATH=. .venv/bin/python scripts/import_cycles.py [package]   (default: callcenter)
"""
import sys

import grimp


def circles(package: str) -> list[list[str]]:
    graph = grimp.build_graph(package)
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = [0]

    def visit(node: str) -> None:  # Tarjan's algorithm, iterative enough for a few hundred modules
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.find_modules_directly_imported_by(node):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


if __name__ == "__main__":
    result = circles(sys.argv[1] if len(sys.argv) > 1 else "callcenter")
    for group in result:
        print(f"circle of {len(group)}: " + ", ".join(group))
    print("import circles:", len(result))
