"""Knowledge as data: what marks generators leave and how evidence becomes a verdict.

``signatures`` (generator signature rows), ``dst`` (the DigitalSourceType
table), ``sniff`` (magic numbers to media types), ``verdict`` (the rule that
turns evidence into a verdict) and ``registry`` (the scanner protocol and the
registry object callers pass in). Nothing here reads files or imports the
scan runner.
"""
