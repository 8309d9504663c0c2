#!/usr/bin/env python3
"""Lets Doxygen read the public headers' plain `//` comments as documentation.

Doxygen runs this on every header (FILTER_PATTERNS in Doxyfile.in) and reads
what it prints instead of the file. The headers keep their ordinary comments;
here they become Doxygen comments by position, one line out for one line in,
so that warnings quote the header's own line numbers:

- the comment that opens the file documents the file (`/// \\file`);
- a block of comment lines directly above a line of code documents that code
  (`///`); a block followed by a blank line is a section note and stays `//`;
- when that code is a run of declarations without a blank line between them,
  the comment documents each of them (a member group);
- a comment after code on the same line documents that line's declaration
  (`///<`), and comment lines aligned under it continue it;
- comment lines indented past the comment's margin (examples, formulas,
  tables) are shown as written.

Comments inside function bodies become `///` as well; HIDE_IN_BODY_DOCS keeps
them out of the reference.
"""
import re
import sys

COMMENT_LINE = re.compile(r"^(\s*)//(?!/)(.*)$")
TRAILING_COMMENT = re.compile(r"^(.*?\S)(\s+)//(?!/)(.*)$")
# Lines whose trailing comment is a note to the reader, not documentation of a
# declaration: closing braces, openings of scopes and preprocessor lines
# other than macro definitions.
NOT_A_DECLARATION = re.compile(r"^\s*(}|#(?!define)|namespace\b|public:|private:|protected:)|\{\s*$")
# Destructors and deleted functions end a documented run of declarations.
SPECIAL_MEMBER = re.compile(r"^\s*(virtual\s+)?~|=\s*delete\s*;\s*$")
# "<" before a letter or "/" would open an HTML tag in Doxygen's eyes.
HTML_LOOKALIKE = re.compile(r"<(?=[A-Za-z/])")


# Code spans and quoted strings, which Doxygen shows as written.
VERBATIM_SPAN = re.compile(r'(`[^`]*`|"[^"]*")')


def escape_angle_brackets(comment):
    """`<typename T>` or `<cmath>` in prose would read as an HTML tag; code spans and quotes keep theirs."""
    parts = VERBATIM_SPAN.split(comment)
    for k in range(0, len(parts), 2):
        parts[k] = HTML_LOOKALIKE.sub("&lt;", parts[k])
    return "".join(parts)


def code_part_has_open_string(code):
    return code.count('"') % 2 == 1


def convert(lines):
    out = list(lines)
    group_markers = []  # (line, marker, where on the line), applied once every line is converted
    i = 0
    trailing_column = None  # column of the last trailing `//`, for continuation lines
    while i < len(lines):
        line = lines[i]
        comment = COMMENT_LINE.match(line)
        if comment is None:
            trailing = TRAILING_COMMENT.match(line)
            trailing_column = None
            if (trailing and not code_part_has_open_string(trailing.group(1)) and
                    not NOT_A_DECLARATION.search(trailing.group(1))):
                out[i] = f"{trailing.group(1)}{trailing.group(2)}///<{escape_angle_brackets(trailing.group(3))}"
                trailing_column = len(trailing.group(1)) + len(trailing.group(2))
            i += 1
            continue
        if trailing_column is not None and len(comment.group(1)) == trailing_column:
            out[i] = f"{comment.group(1)}///<{escape_angle_brackets(comment.group(2))}"
            i += 1
            continue
        trailing_column = None
        start = i
        while i < len(lines) and COMMENT_LINE.match(lines[i]):
            i += 1
        opens_file = start == 0
        above_code = i < len(lines) and lines[i].strip() != "" and not opens_file
        if opens_file:
            first = COMMENT_LINE.match(lines[0])
            # "// curvature/x.h — what it is": the name for \\file, the rest its brief.
            out[0] = "/// \\file" + escape_angle_brackets(first.group(2).replace(" — ", " ", 1))
        if opens_file or above_code:
            first_line = start + 1 if opens_file else start
            preformatted = preformatted_lines(lines, first_line, i)
            for k in range(first_line, i):
                match = COMMENT_LINE.match(lines[k])
                text = match.group(2)
                text = HTML_LOOKALIKE.sub("&lt;", text) if k in preformatted else escape_angle_brackets(text)
                out[k] = f"{match.group(1)}///{text}"
            mark_preformatted_runs(out, first_line, i, preformatted)
        if above_code:
            end = end_of_declaration_run(lines, i)
            # The group opens at the end of the line before the comment (a
            # marker on the comment's own line would cut its first line off
            # as a block of its own) and closes at the end of the run's last
            # line: after its trailing comment, made a C comment, if it has
            # one; else at the start of the next line. A marker cannot follow
            # a `//` on its line, nor end a preprocessor line (it would be
            # part of the directive). Markers are placed once every line is
            # converted, since the next comment may start on the line after.
            if end is not None and start > 0 and can_end_with_marker(lines[start - 1]):
                group_markers.append((start - 1, "/**@{*/", "end"))
                if can_end_with_marker(lines[end - 1]):
                    group_markers.append((end - 1, "/**@}*/", "end"))
                elif is_trailing_doc(lines[end - 1]):
                    group_markers.append((end - 1, "/**@}*/", "after comment"))
                else:
                    group_markers.append((end, "/**@}*/", "start"))
    for line, marker, where in group_markers:
        if where == "end":
            out[line] = f"{out[line]} {marker}"
        elif where == "start":
            out[line] = f"{marker} {out[line]}"
        else:  # after a trailing `///<` comment, made a C comment so that the marker can follow it
            code, _, text = out[line].partition("///<")
            out[line] = f"{code}/**<{text} */ {marker}"
    return out


def is_trailing_doc(line):
    trailing = TRAILING_COMMENT.match(line)
    return (trailing is not None and not COMMENT_LINE.match(line) and "*/" not in trailing.group(3) and
            not NOT_A_DECLARATION.search(trailing.group(1)))


def can_end_with_marker(line):
    return "//" not in line and not line.lstrip().startswith("#")


def preformatted_lines(lines, begin, end):
    """Comment lines indented past the comment's margin: code, formulas, tables.

    The headers indent examples and formulas by two or more spaces after the
    `// `; Doxygen would run them together as prose, so they are shown as
    they are written.
    """
    return {k for k in range(begin, end) if COMMENT_LINE.match(lines[k]).group(2).startswith("   ")}


def mark_preformatted_runs(out, begin, end, preformatted):
    """Wraps each run of preformatted lines in <pre> ... </pre>.

    The markers go at the end of the line before the run (or before the text
    of the run's first line) and at the end of its last line, so no line is
    added. (Doxygen 1.9's \\verbatim is missed after a first one in the same
    comment; <pre> is not, and the `<` inside are escaped.)
    """
    k = begin
    while k < end:
        if k not in preformatted:
            k += 1
            continue
        run_start = k
        while k < end and k in preformatted:
            k += 1
        if run_start > begin:
            out[run_start - 1] += " <pre>"
        else:
            out[run_start] = out[run_start].replace("///", "/// <pre>", 1)
        out[k - 1] += "</pre>"


def end_of_declaration_run(lines, first):
    """The line after a run of two or more declarations that one comment covers.

    The headers document a family of declarations (a setter and its getter,
    the overloads of an operator, a group of tolerances) with one comment
    above lines that follow each other without a blank line. Such a run
    becomes a Doxygen member group, whose documentation DISTRIBUTE_GROUP_DOC
    hands to every member. Returns None for a single declaration, and for a
    run that is cut by a comment inside a body.
    """
    indent = len(lines[first]) - len(lines[first].lstrip())
    declarations = 0
    depth = 0
    previous_ended = True
    k = first
    while k < len(lines):
        text = lines[k]
        stripped = text.strip()
        if stripped == "" or COMMENT_LINE.match(text):
            break
        line_indent = len(text) - len(text.lstrip())
        if depth == 0 and stripped.startswith("#define"):  # a macro is a declaration of its own line
            declarations += 1
            previous_ended = True
            k += 1
            continue
        if depth == 0 and (line_indent < indent or stripped.startswith(("public:", "private:", "protected:", "#"))):
            break
        trailing = TRAILING_COMMENT.match(text)
        code = trailing.group(1) if trailing else text
        starts_declaration = depth == 0 and line_indent == indent and previous_ended and not stripped.startswith("}")
        if starts_declaration and SPECIAL_MEMBER.search(code):
            break  # a destructor or a deleted function is not what the comment describes
        if starts_declaration:
            declarations += 1
        depth += code.count("{") - code.count("}")
        previous_ended = code.rstrip().endswith((";", "}"))
        k += 1
    if declarations < 2 or depth != 0 or not previous_ended or k >= len(lines):
        return None
    return k


def main():
    with open(sys.argv[1], encoding="utf-8") as header:
        lines = header.read().split("\n")
    sys.stdout.write("\n".join(convert(lines)))


if __name__ == "__main__":
    main()
