# Sourced by .ci/run: installs Slurm and munge, starts the one-node cluster the Slurm backend
# tests run on, and stops its daemons (by pid) when .ci/run exits, whatever the outcome.
# An EXIT trap set earlier by another setup script is kept and runs after ours.
if ! command -v slurmctld >/dev/null 2>&1 && ! [ -x /usr/sbin/slurmctld ] || ! [ -x /usr/sbin/munged ]; then
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi
scripts/slurm-local.sh start
_cmbflow_prev_exit_trap=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
trap "scripts/slurm-local.sh stop; ${_cmbflow_prev_exit_trap}" EXIT
