"""The core: the op table, Value and its graph, function transforms and compile; it imports nothing above."""
