#!/bin/sh
# A one-node Slurm cluster on this machine, for cmbflow's Slurm backend tests and for trying
# `cmbflow run --backend slurm` by hand (needs root: Debian's slurm-wlm and munge installed).
#
#   scripts/slurm-local.sh start   write slurm.conf, start munged, slurmctld and slurmd, wait
#                                  until sinfo shows the node idle
#   scripts/slurm-local.sh stop    stop the three daemons by the pids start recorded
#
# State, logs and pids go to $CMBFLOW_SLURM_DIR (default /tmp/cmbflow-slurm). The config is
# written to /etc/slurm/slurm.conf, where sbatch, squeue and scontrol look for it without
# SLURM_CONF. No accounting database: sacct has nothing to say, and cmbflow falls back to
# squeue / scontrol show job.
set -eu

DIR=${CMBFLOW_SLURM_DIR:-/tmp/cmbflow-slurm}
CONF=/etc/slurm/slurm.conf

say() { printf 'slurm-local: %s\n' "$*" >&2; }

stop_pid() {
  # $1: pid file. Only the pid this script started is signalled.
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

start() {
  for tool in munged slurmctld slurmd sinfo; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || { say "$tool is not installed (apt-get install -y slurm-wlm munge)"; exit 1; }
  done
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/munge" /etc/slurm
  host=$(hostname -s)
  cpus=$(nproc)
  # Leave the system some memory; jobs' --mem is checked against this.
  mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  cat > "$CONF" <<EOF
# Written by cmbflow's scripts/slurm-local.sh: one node, no accounting database.
ClusterName=cmbflow
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.daemon.pid
SlurmdPidFile=$DIR/slurmd.daemon.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=600
# Without it a job that asks no memory gets the whole node, and array tasks run one at a time.
DefMemPerCPU=1024
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  # munged: its socket where the Slurm daemons look for it (the default path).
  mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
  if ! [ -f "$DIR/munged.pid" ] || ! kill -0 "$(cat "$DIR/munged.pid")" 2>/dev/null; then
    if id munge >/dev/null 2>&1; then
      su -s /bin/sh munge -c "/usr/sbin/munged -F" > "$DIR/munged.log" 2>&1 &
    else
      /usr/sbin/munged -F --force > "$DIR/munged.log" 2>&1 &
    fi
    echo $! > "$DIR/munged.pid"
  fi
  i=0
  until [ -S /run/munge/munge.socket.2 ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
  [ -S /run/munge/munge.socket.2 ] || { say "munged did not start: see $DIR/munged.log"; exit 1; }
  if ! [ -f "$DIR/slurmctld.pid" ] || ! kill -0 "$(cat "$DIR/slurmctld.pid")" 2>/dev/null; then
    # -i: ignore state left by an earlier cluster in $DIR (a node that was down, old jobs).
    /usr/sbin/slurmctld -D -i -f "$CONF" > "$DIR/slurmctld.out" 2>&1 &
    echo $! > "$DIR/slurmctld.pid"
  fi
  if ! [ -f "$DIR/slurmd.pid" ] || ! kill -0 "$(cat "$DIR/slurmd.pid")" 2>/dev/null; then
    /usr/sbin/slurmd -D -f "$CONF" > "$DIR/slurmd.out" 2>&1 &
    echo $! > "$DIR/slurmd.pid"
  fi
  i=0
  while [ $i -lt 300 ]; do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    case "$state" in
      idle*) say "up: node $host idle with $cpus CPUs, ${mem} MB (config $CONF, logs in $DIR)"; return 0 ;;
    esac
    sleep 0.2
    i=$((i + 1))
  done
  say "the node did not become idle within 60 s (sinfo says '${state:-nothing}'): see $DIR/slurmctld.log and $DIR/slurmd.log"
  exit 1
}

stop() {
  stop_pid "$DIR/slurmd.pid"
  stop_pid "$DIR/slurmctld.pid"
  stop_pid "$DIR/munged.pid"
  say "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) say "usage: $0 start|stop"; exit 2 ;;
esac
