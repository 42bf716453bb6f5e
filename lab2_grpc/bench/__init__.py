"""The REST vs gRPC performance study: ``python -m lab2_grpc.bench`` measures, then writes docs/rest-vs-grpc.md.

One concern per module:
- what is measured: servers (one server per process, pinned to core 0), hello_rest and hello_grpc (the floors);
- the load: locustfile and grpc_user (the REST and gRPC Locust users), load (a long-lived Locust worker on
  core 1 that runs one measurement per request), wrk (the C load generator, to price Locust itself);
- the other measurements: procstat (server CPU from /proc), codec (payload sizes, encode/decode time), wire
  (bytes on the wire), inprocess (each call without a server), profile (py-spy on the server), machine;
- the plan and the page: study (order, interleaving, phases), report (CSVs, charts), sections (the text).
"""
