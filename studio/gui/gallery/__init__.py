"""The gallery: the thumbnail model and view, the filter bar, bulk actions, and the pane
that holds them (`GalleryPane`)."""
