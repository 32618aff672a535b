#!/usr/bin/env bash
# What the local stand-ins' scripts share (sourced by local/stack/stack.sh and
# local/fakes/start.sh): finding a free port on the loopback interface.

free_port() { # preferred port (0: any); prints it when it can be bound, else a free one
  python3 - "$1" <<'PY'
import socket, sys
def free(port):
    s = socket.socket()
    # As the servers themselves bind (SO_REUSEADDR): a port whose last connections are
    # only in TIME_WAIT after a restart is free, and a part keeps its port.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port)); return s.getsockname()[1]
    except OSError:
        return None
    finally:
        s.close()
preferred = int(sys.argv[1])
print((preferred and free(preferred)) or free(0))
PY
}

port_is_free() { [ "$(free_port "$1")" = "$1" ]; }
