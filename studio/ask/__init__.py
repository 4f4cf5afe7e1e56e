"""`studio ask`: one prompt in, the reply streamed to standard output, the cost to standard error."""
