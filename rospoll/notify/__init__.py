"""6 · Notify: rendering (pure) and sending (I/O) of mails and reports."""
