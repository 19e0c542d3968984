"""Usage measured without personal data (issue #17): every answer counted by day × dataset ×
surface × detail × device class, with bytes; unique visitors estimated by a daily-salted
HyperLogLog. No IP address and no User-Agent string is kept: the middleware reads them, turns
them into a device class and a register update, and forgets them.

``classify`` names what an answer was (surface, dataset, detail); ``device`` turns a
User-Agent into phone / tablet / desktop / program; ``hll`` estimates distinct visitors;
``store`` adds batches to SQLite (one machine) or PostgreSQL (replicas); ``counter`` batches
the counts of one process and flushes them every few seconds.
"""
