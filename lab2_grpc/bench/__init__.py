"""The REST vs gRPC performance study: ``python -m lab2_grpc.bench`` measures, then writes docs/rest-vs-grpc.md.

One concern per module:
- what is measured: the lab itself (``python -m lab2_grpc``, started by study), and the floors: servers
  (one bare hello per process: the lab's Gunicorn setup, Waitress, grpcio), hello_rest and hello_grpc;
- the load: generators (wrk with wrk_calls.lua for REST, h2load for gRPC, with h2load_bodies.c for calls that
  need a new body each time), and Locust beside them: locustfile and grpc_user (the REST and gRPC Locust
  users), load (a long-lived Locust worker that runs one measurement per request); all on core 1;
- the other measurements: procstat (server CPU from /proc), codec (payload sizes, encode/decode time), wire
  (bytes on the wire), inprocess (each call without a server), profile (py-spy on the server), machine;
- the plan and the page: study (order, interleaving, phases), progress (what runs now, how long is left),
  report (CSVs, charts, replacing the previous run's files), charts, sections (the text).
"""
