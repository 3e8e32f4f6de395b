"""Runs pyx12's validator over X12 files and prints one verdict line per file.

pyx12 reports problems through its logger; we collect the error records, so that the exit status says
what happened (pyx12's own command-line tool exits 1 on success too).
"""
import io
import logging
import sys

import pyx12.errors
import pyx12.params
import pyx12.x12n_document


class Errors(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def validate(path, quiet):
    try:
        text = open(path, "rb").read().decode("ascii")
    except (OSError, UnicodeDecodeError) as e:
        print(f"ERROR {path}: cannot read as ASCII text: {e}")
        return 2
    if not text.startswith("ISA") or len(text) < 106:
        print(f"ERROR {path}: not an X12 interchange with a 106-character ISA")
        return 2
    handler = Errors()
    log = logging.getLogger("pyx12")
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.ERROR)
    try:
        ok = pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(), src_file=io.StringIO(text), fd_997=None,
            fd_html=None, fd_xmldoc=None)
    except Exception as e:  # pyx12 gives up on what it cannot map
        print(f"ERROR {path}: pyx12 cannot validate it: {type(e).__name__}: {e}")
        return 2
    if ok and not handler.lines:
        print(f"PASS {path}")
        return 0
    if not quiet:
        for line in handler.lines:
            print("  " + line)
    print(f"FAIL {path} ({len(handler.lines) or 1} errors)")
    return 1


def main(argv):
    quiet = "-q" in argv
    files = [a for a in argv if a != "-q"]
    if not files:
        print("usage: x12validate [-q] FILE...", file=sys.stderr)
        return 2
    return max(validate(f, quiet) for f in files)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
