"""`make bench`: the desk's performance report (a JSON file), never a timed test."""
