"""The Train panel and the Runs view: freeze versions, start, watch, cancel, resume, compare."""
