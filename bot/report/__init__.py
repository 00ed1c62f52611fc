"""The cold-spots report: where opportunities for small charities are, and where they are not.

Kept light: importing this package loads nothing heavy; charts and HTML load when drawn.
"""
