// Integration tests talk to real servers: allow for their latency on a loaded 2-core machine.
jest.setTimeout(120_000);
