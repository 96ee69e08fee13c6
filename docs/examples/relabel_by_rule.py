"""Relabel by rule: boxes of one class narrower than a width become another class.

studio script run relabel_by_rule.py birds.studio -- bird "distant bird" --max-width 24
"""

import argparse


def main(project, args):
    parser = argparse.ArgumentParser(prog="relabel_by_rule.py")
    parser.add_argument("source", help="the class to look at")
    parser.add_argument("target", help="the class narrow boxes move to")
    parser.add_argument("--max-width", type=float, required=True, help="in pixels")
    options = parser.parse_args(args)

    project.add_classes([options.target])  # an existing class is kept as it is
    changed = 0
    for item_id in project.item_ids(label=options.source):
        for annotation in project.annotations(item_id):
            if annotation.label != options.source or annotation.kind != "box":
                continue
            width = annotation.geometry[2]  # boxes are [x, y, width, height]
            if width < options.max_width:
                project.update_annotation(annotation.id, label=options.target)
                changed += 1
    print(f"relabelled {changed} boxes from {options.source!r} to {options.target!r}")
