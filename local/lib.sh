#!/usr/bin/env bash
# What the local stand-ins' scripts share (sourced by local/stack/stack.sh and
# local/fakes/start.sh): finding a free port on the loopback interface, and running a
# part detached and supervised (`spawn`), checking it (`alive`) and stopping it (`stop`),
# with its pid in $run/<name>.pid and its log in $logs/<name>.log (the caller sets both).

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

# Running, and not a zombie: a killed part whose parent is gone may wait a while to be
# reaped (a container's init may never reap it), and kill -0 still succeeds on it.
alive() {
  [ -f "$run/$1.pid" ] || return 1
  local pid; pid=$(cat "$run/$1.pid")
  kill -0 "$pid" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

spawn() { # name, command...: runs it detached and supervised: restarted when it exits
  local name=$1; shift
  setsid nohup bash -c '
    name=$1; shift
    trap "kill -TERM \$child 2>/dev/null; wait \$child; exit 0" TERM INT
    while :; do
      "$@" & child=$!
      wait $child; code=$?
      printf "{\"service\":\"stack\",\"event\":\"restarting\",\"part\":\"%s\",\"exit_code\":%s}\n" "$name" "$code"
      sleep 1
    done' supervise "$name" "$@" >>"$logs/$name.log" 2>&1 </dev/null &
  echo $! > "$run/$name.pid"
}

stop() { # name
  alive "$1" || { rm -f "$run/$1.pid"; return 0; }
  local pid; pid=$(cat "$run/$1.pid")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$run/$1.pid"
}
