"""Renderers: the human text and the JSON of each command's result, and the
matrix's Markdown. Nothing here computes a verdict; the core never imports
this package."""
