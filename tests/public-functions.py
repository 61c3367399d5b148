#!/usr/bin/env python3
# public-functions.py: the name of every function the given public headers
# declare or define (static inline), one a line, sorted: the first
# "midi_NAME (" of each top-level declaration, comments, preprocessor lines
# and typedefs left out. Used by tests/bats/api.bats and man.bats.
import re, sys
names = set()
for path in sys.argv[1:]:
    src = open(path).read()
    src = re.sub(r'/\*.*?\*/', ' ', src, flags=re.S)
    src = re.sub(r'//[^\n]*', ' ', src)
    src = re.sub(r'^[ \t]*#(?:[^\n]*\\\n)*[^\n]*', ' ', src, flags=re.M)
    top, depth = [], 0
    for ch in src:
        if ch == '{':
            depth += 1
            if depth == 1:
                top.append(';')
        elif ch == '}':
            depth -= 1
        elif depth == 0:
            top.append(ch)
    for stmt in ''.join(top).split(';'):
        m = re.search(r'\b(midi_[A-Za-z0-9_]+)\s*\(', stmt)
        if m and not stmt.lstrip().startswith('typedef'):
            names.add(m.group(1))
print('\n'.join(sorted(names)))
