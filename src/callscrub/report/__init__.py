"""The HTML report of one scrub, or the trend of several: figures, then the page.

`figures` computes what the page shows from the manifest and the outputs
(polars, counts only); `page` renders it as one self-contained HTML file
(Vega-Lite charts through altair, their JavaScript inlined). Neither opens a
file the caller did not name nor knows a command line flag.
"""
