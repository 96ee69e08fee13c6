"""The Data menu: windows that check and improve the project's data (issue 14)."""
