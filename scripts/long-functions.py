#!/usr/bin/env python3
"""Lists Rust functions longer than a limit (default 150 lines), longest first.

Usage: scripts/long-functions.py [--limit N] [--check] [PATH...]   (default: crates src)

A function runs from its `fn` line to the line where its body's braces
balance (strings, chars and comments are skipped). With --check, exits 1 when
any function is over the limit (tests, benches and fuzz targets included).
"""
import argparse
import pathlib
import re
import sys

FN = re.compile(r'^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?(?:extern\s+"[^"]*"\s+)?fn\s+([A-Za-z0-9_]+)')


def strip(line, state):
    """The line without strings, chars and comments; state carries block comments and raw strings."""
    out = []
    i = 0
    n = len(line)
    while i < n:
        if state['block']:
            j = line.find('*/', i)
            if j < 0:
                return ''.join(out)
            state['block'] = False
            i = j + 2
            continue
        if state['raw'] is not None:
            end = '"' + '#' * state['raw']
            j = line.find(end, i)
            if j < 0:
                return ''.join(out)
            state['raw'] = None
            i = j + len(end)
            continue
        if state['str']:
            while i < n:
                if line[i] == '\\':
                    i += 2
                    continue
                if line[i] == '"':
                    state['str'] = False
                    i += 1
                    break
                i += 1
            continue
        c = line[i]
        if line.startswith('//', i):
            break
        if line.startswith('/*', i):
            state['block'] = True
            i += 2
            continue
        m = re.match(r'b?r(#*)"', line[i:])
        if m and (i == 0 or not (line[i - 1].isalnum() or line[i - 1] == '_')):
            state['raw'] = len(m.group(1))
            i += m.end()
            continue
        if c == '"':
            state['str'] = True
            i += 1
            continue
        if c == "'":
            m = re.match(r"'(\\.[^']*|[^\\'])'", line[i:])
            if m:
                i += m.end()
                continue
        out.append(c)
        i += 1
    return ''.join(out)


def functions(path):
    lines = path.read_text(encoding='utf-8', errors='replace').splitlines()
    state = {'block': False, 'raw': None, 'str': False}
    stack = []  # (name, start line, depth at start)
    depth = 0
    found = []
    for no, line in enumerate(lines, 1):
        code = strip(line, state)
        m = FN.match(code)
        if m:
            stack.append([m.group(1), no, depth, False])
        for c in code:
            if c == '{':
                depth += 1
                if stack and not stack[-1][3] and depth == stack[-1][2] + 1:
                    stack[-1][3] = True
            elif c == '}':
                depth -= 1
                if stack and stack[-1][3] and depth == stack[-1][2]:
                    name, start, _, _ = stack.pop()
                    found.append((no - start + 1, name, start))
            elif c == ';' and stack and not stack[-1][3] and depth == stack[-1][2]:
                stack.pop()  # a declaration without a body
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--limit', type=int, default=150)
    ap.add_argument('--check', action='store_true')
    ap.add_argument('paths', nargs='*', default=['crates', 'src'])
    args = ap.parse_args()
    rows = []
    for root in args.paths:
        for f in sorted(pathlib.Path(root).rglob('*.rs')):
            if 'target' in f.parts:
                continue
            for length, name, start in functions(f):
                rows.append((length, f'{f}:{start}', name))
    rows.sort(key=lambda r: (-r[0], r[1]))
    over = [r for r in rows if r[0] > args.limit]
    for length, where, name in over:
        print(f'{length:5}  {where}  {name}')
    longest = rows[0] if rows else (0, '-', '-')
    print(f'{len(rows)} functions; {len(over)} over {args.limit} lines; longest: {longest[2]} ({longest[0]} lines, {longest[1]})')
    if args.check and over:
        sys.exit(1)


if __name__ == '__main__':
    main()
