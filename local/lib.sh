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

# Each part runs detached in a process group of its own, led by its supervisor (a shell
# loop that restarts the part when it exits): $run/<name>.pid holds the supervisor's pid,
# which is also the group's id, and $run/<name>.child the part's own pid and start time.
# Whatever happens to the supervisor, the group is what is stopped: a part whose
# supervisor was killed (kill -9 leaves its child running, holding its ports) is found by
# its group and stopped with it, never left behind.

# The pids of a group's living (non-zombie) processes.
group_members() { # group id
  ps -e -o pid=,pgid=,stat= 2>/dev/null | awk -v g="$1" '$2 == g && $3 !~ /^Z/ { print $1 }'
}

# Running, and not a zombie: a killed part whose parent is gone may wait a while to be
# reaped (a container's init may never reap it), and kill -0 still succeeds on it.
alive() {
  [ -f "$run/$1.pid" ] || return 1
  local pid; pid=$(cat "$run/$1.pid")
  kill -0 "$pid" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# Something of the part still runs although its supervisor does not (it was killed on
# its own): the leftover group, to be stopped before the part is started again.
stranded() {
  [ -f "$run/$1.pid" ] && ! alive "$1" && [ -n "$(group_members "$(cat "$run/$1.pid")")" ]
}

spawn() { # name, command...: runs it detached and supervised: restarted when it exits
  local name=$1; shift
  setsid nohup bash -c '
    name=$1 child_file=$2; shift 2
    # What an exited part left in the group (a gateway killed hard leaves its function
    # isolates): killed, so that nothing outlives the process that started it.
    sweep() { local p; for p in $(ps -e -o pid=,pgid= | awk -v g=$$ "\$2 == g { print \$1 }"); do
      [ "$p" = $$ ] || kill -KILL "$p" 2>/dev/null; done; }
    trap "kill -TERM \$child 2>/dev/null; wait \$child; sweep; rm -f $child_file; exit 0" TERM INT
    while :; do
      "$@" & child=$!
      echo "$child $(cut -d" " -f22 /proc/$child/stat 2>/dev/null)" > "$child_file"
      wait $child; code=$?
      sweep
      printf "{\"service\":\"stack\",\"event\":\"restarting\",\"part\":\"%s\",\"exit_code\":%s}\n" "$name" "$code"
      sleep 1
    done' supervise "$name" "$run/$name.child" "$@" >>"$logs/$name.log" 2>&1 </dev/null &
  echo $! > "$run/$name.pid"
}

stop() { # name: the whole group, supervisor or not
  [ -f "$run/$1.pid" ] || return 0
  local group; group=$(cat "$run/$1.pid")
  if [ -n "$(group_members "$group")" ]; then
    kill -TERM -- "-$group" 2>/dev/null || true
    for _ in $(seq 50); do [ -n "$(group_members "$group")" ] || break; sleep 0.1; done
    kill -KILL -- "-$group" 2>/dev/null || true
    for _ in $(seq 20); do [ -n "$(group_members "$group")" ] || break; sleep 0.1; done
  fi
  rm -f "$run/$1.pid" "$run/$1.child"
}
