"""Count import statements inside function bodies (an import there usually hides a cycle).

Usage: python scripts/count_function_imports.py [callcenter]"""
import ast
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "callcenter")
total = 0
for path in sorted(root.rglob("*.py")):
    tree = ast.parse(path.read_text())
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    total += 1
                    print(f"{path}:{node.lineno}")
print("function-level imports:", total)
