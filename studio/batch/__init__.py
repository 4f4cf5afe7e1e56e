"""`studio batch`: the command-line front end of batch jobs (studio.core.batches does the work)."""
