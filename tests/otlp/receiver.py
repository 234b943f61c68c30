#!/usr/bin/env python3
"""A minimal OTLP/HTTP (protobuf) receiver for tests, decoding with the official OpenTelemetry protobuf
definitions (PyPI `opentelemetry-proto`). Listens on 127.0.0.1 on a free port, prints `listening PORT`, then one
JSON line per export request: {"signal": "traces", "spans": [...]}, {"signal": "logs", "records": [...]} or
{"signal": "metrics", "metrics": [...]}.
Anything it cannot decode is answered 400 and reported as {"signal": "error", ...}."""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

STATUS = {0: "unset", 1: "ok", 2: "error"}

# Requests are handled on threads of their own: one writes a whole line at a time, or two exports arriving
# together (traces and logs) could interleave into one unreadable line.
OUTPUT = threading.Lock()


def emit(obj):
    text = json.dumps(obj) + "\n"
    with OUTPUT:
        sys.stdout.write(text)
        sys.stdout.flush()


def attributes(kvs):
    out = {}
    for kv in kvs:
        value = MessageToDict(kv.value)
        out[kv.key] = next(iter(value.values())) if value else None
    return out


def spans(req):
    for rs in req.resource_spans:
        resource = attributes(rs.resource.attributes)
        for ss in rs.scope_spans:
            for s in ss.spans:
                yield {
                    "name": s.name,
                    "trace_id": s.trace_id.hex(),
                    "span_id": s.span_id.hex(),
                    "parent_span_id": s.parent_span_id.hex(),
                    "start_ns": s.start_time_unix_nano,
                    "end_ns": s.end_time_unix_nano,
                    "attributes": attributes(s.attributes),
                    "events": [e.name for e in s.events],
                    "status": STATUS.get(s.status.code, str(s.status.code)),
                    "service": resource.get("service.name"),
                }


def records(req):
    for rl in req.resource_logs:
        for sl in rl.scope_logs:
            for r in sl.log_records:
                body = MessageToDict(r.body)
                yield {
                    "event_name": r.event_name,
                    "time_ns": r.time_unix_nano,
                    "severity": r.severity_text,
                    "body": next(iter(body.values())) if body else None,
                    "attributes": attributes(r.attributes),
                    "trace_id": r.trace_id.hex(),
                    "span_id": r.span_id.hex(),
                }


def metrics(req):
    for rm in req.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                points = getattr(m, kind).data_points if kind else []
                yield {
                    "name": m.name,
                    "kind": kind,
                    "points": [
                        {"attributes": attributes(p.attributes), "value": p.as_int or p.as_double}
                        for p in points
                    ],
                }


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            if self.headers.get("content-type") != "application/x-protobuf":
                raise ValueError(f"content-type {self.headers.get('content-type')}")
            if self.path == "/v1/traces":
                req = trace_service_pb2.ExportTraceServiceRequest()
                req.ParseFromString(body)
                line = {"signal": "traces", "spans": list(spans(req))}
                reply = trace_service_pb2.ExportTraceServiceResponse()
            elif self.path == "/v1/logs":
                req = logs_service_pb2.ExportLogsServiceRequest()
                req.ParseFromString(body)
                line = {"signal": "logs", "records": list(records(req))}
                reply = logs_service_pb2.ExportLogsServiceResponse()
            elif self.path == "/v1/metrics":
                req = metrics_service_pb2.ExportMetricsServiceRequest()
                req.ParseFromString(body)
                line = {"signal": "metrics", "metrics": list(metrics(req))}
                reply = metrics_service_pb2.ExportMetricsServiceResponse()
            else:
                raise ValueError(f"unexpected path {self.path}")
        except Exception as e:  # noqa: BLE001 - reported to the test
            emit({"signal": "error", "path": self.path, "error": str(e)})
            self.send_response(400)
            self.end_headers()
            return
        emit(line)
        data = reply.SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening {server.server_address[1]}", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
