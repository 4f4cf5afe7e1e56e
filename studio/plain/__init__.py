"""`studio chat --plain`: the line mode, every line labelled, for pipes, slow links and screen readers."""
