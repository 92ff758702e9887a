#!/usr/bin/env python3
"""A bounded TCP transfer each way, for the network tests.

  xfer.py serve ADDR PORT DOWN [READY [EXPECT]]
      accept one connection; read until the client half-closes (or EXPECT
      bytes came: busybox nc does not half-close); send DOWN bytes back and
      close. Touches READY once listening; prints the bytes it got.
  xfer.py send ADDR PORT UP
      connect (retrying for 10 s), send UP bytes, half-close, read until
      the server closes; prints the bytes it got.

Both stop by themselves: a 60 s timeout on every socket operation.
"""
import socket
import sys
import time


def drain(c, expect=None):
    got = 0
    while expect is None or got < expect:
        b = c.recv(1 << 16)
        if not b:
            break
        got += len(b)
    return got


def serve(addr, port, down, ready=None, expect=None):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(60)
    s.bind((addr, port))
    s.listen(1)
    if ready:
        open(ready, "w").close()
    c, _ = s.accept()
    c.settimeout(60)
    got = drain(c, expect)
    c.sendall(b"d" * down)
    c.close()
    print(got)


def send(addr, port, up):
    end = time.time() + 10
    while True:
        try:
            c = socket.create_connection((addr, port), timeout=60)
            break
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.1)
    c.sendall(b"u" * up)
    c.shutdown(socket.SHUT_WR)
    print(drain(c))


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) >= 4 and a[0] == "serve":
        serve(a[1], int(a[2]), int(a[3]), a[4] if len(a) > 4 else None,
              int(a[5]) if len(a) > 5 else None)
    elif len(a) == 4 and a[0] == "send":
        send(a[1], int(a[2]), int(a[3]))
    else:
        sys.exit(__doc__)
