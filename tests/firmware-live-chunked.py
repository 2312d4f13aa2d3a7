#!/usr/bin/env python3
"""firmware-live-chunked.py: a tiny HTTP/1.1 server that sends every file
with Transfer-Encoding: chunked (RFC 9112 section 7.1), for
tests/firmware-live.test.  python3 -m http.server always sends a
Content-Length; a FOTA server behind a proxy or streaming a package often
chunks, and apnwatch must hash the de-chunked body.

Chunk sizes cycle through an uneven list (one byte, odd sizes, larger than
a TCP segment) so that chunk headers land everywhere in the segments.

Usage: firmware-live-chunked.py ADDRESS PORT DIRECTORY
"""

import http.server
import os
import sys

CHUNKS = [1000, 4096, 1, 333, 8192, 17, 2900]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        root = os.path.realpath(self.server.root)
        path = os.path.realpath(os.path.join(root, self.path.split("?")[0].lstrip("/")))
        if not path.startswith(root + os.sep) or not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        off, i = 0, 0
        while off < len(body):
            part = body[off:off + CHUNKS[i % len(CHUNKS)]]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            off += len(part)
            i += 1
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True

    def log_message(self, fmt, *args):
        sys.stderr.write("chunked: " + (fmt % args) + "\n")


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: firmware-live-chunked.py ADDRESS PORT DIRECTORY")
    srv = http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), Handler)
    srv.root = sys.argv[3]
    srv.serve_forever()


if __name__ == "__main__":
    main()
