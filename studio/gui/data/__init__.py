"""The Data menu's windows: views of the whole data set that models help to build."""
