# shellcheck shell=bash
# Sourced by the benchmark scripts, not run.
#
#   free_port   sets `port` to a port nobody answers on 127.0.0.1 right now and that this script
#               has not handed out yet (from a random start in 20000-60000). Call it directly, not
#               in $(...): the ports handed out are remembered in this shell.

free_port_used=" "
free_port_next=$((20000 + RANDOM % 20000))
free_port() {
  while :; do
    free_port_next=$((free_port_next + 1))
    ((free_port_next < 60000)) || free_port_next=20000
    [[ "${free_port_used}" == *" ${free_port_next} "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/${free_port_next}") 2>/dev/null; then
      free_port_used+="${free_port_next} "
      port="${free_port_next}"
      return
    fi
  done
}
