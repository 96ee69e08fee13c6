"""Label interchange formats: reading other tools' label files and writing them back.

One module per format (`coco`, `yolo`, `voc`, `labelme`, `label_studio`, `cvat`,
`class_folders`, `csv_labels`, `csv_boxes`), each registering a `LabelFormat`; `importer`
and `exporter` do what is common to all of them (finding images, checking labels, one
transaction, atomic output). See docs/formats.md.
"""

from studio.core.formats.registry import (
    LabelFormat,
    all_formats,
    detect_format,
    get_format,
)

__all__ = ["LabelFormat", "all_formats", "detect_format", "get_format"]
